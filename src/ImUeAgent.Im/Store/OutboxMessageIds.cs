// SPDX-License-Identifier: MIT
using System.Buffers.Text;
using System.Security.Cryptography;

namespace ImUeAgent.Im.Store;

/// <summary>Makes IMDN Message-IDs for outgoing messages.</summary>
public static class OutboxMessageIds
{
    /// <summary>
    /// 128 random bits, base64url (22 characters). RFC 5438 §6.3 asks for at least 32 bits of randomness; 128 makes
    /// collisions across the life of a device negligible. The alphabet is valid in CPIM header values.
    /// </summary>
    public static string Create()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return Base64Url.EncodeToString(random);
    }
}
