// SPDX-License-Identifier: MIT
namespace ImUeAgent.Api;

/// <summary>
/// The local API's wire conventions, after varlink (varlink.org): every message is one JSON object followed by a
/// NUL byte. A call is {"method": "org.imue.Agent.GetStatus", "parameters": {...}, "more": true?}; a reply is
/// {"parameters": {...}} with "continues": true while a "more" call has further replies, or {"error": "...",
/// "parameters": {...}}.
/// </summary>
internal static class Varlink
{
    public const string Interface = "org.imue.Agent";

    /// <summary>A message larger than this is refused and the connection closed: no caller needs more.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    public const string ServiceInterface = "org.varlink.service";

    public static class Errors
    {
        public const string InterfaceNotFound = "org.varlink.service.InterfaceNotFound";
        public const string MethodNotFound = "org.varlink.service.MethodNotFound";
        public const string InvalidParameter = "org.varlink.service.InvalidParameter";
        public const string ExpectedMore = "org.varlink.service.ExpectedMore";

        /// <summary>Not a varlink call at all (malformed JSON, no method, too large).</summary>
        public const string InvalidMessage = "org.imue.Agent.InvalidMessage";
    }
}
