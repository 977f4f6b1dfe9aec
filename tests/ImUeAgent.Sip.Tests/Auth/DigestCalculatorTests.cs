// SPDX-License-Identifier: MIT
#pragma warning disable CA5351 // MD5 and HMAC-MD5 are what RFC 2617/4169 compute; tests recompute them independently.
using System.Security.Cryptography;
using System.Text;
using ImUeAgent.Sip.Auth;

namespace ImUeAgent.Sip.Tests.Auth;

public sealed class DigestCalculatorTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Rfc2617Md5ExampleWithQopAuth()
    {
        string r = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = DigestAlgorithm.Md5,
            Username = B("Mufasa"),
            Realm = B("testrealm@host.com"),
            Password = B("Circle Of Life"),
            Method = B("GET"),
            DigestUri = B("/dir/index.html"),
            Nonce = B("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
            NonceCount = B("00000001"),
            CNonce = B("0a4f113b"),
            Qop = B("auth"),
        });
        Assert.Equal("6629fae49393a05397450978507c4ef1", r);
    }

    [Theory]
    [InlineData(DigestAlgorithm.Md5, "8ca523f5e9506fed4657c9700eebdbec")]
    [InlineData(DigestAlgorithm.Sha256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")]
    public void Rfc7616Section391Examples(DigestAlgorithm algorithm, string expected)
    {
        string r = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = algorithm,
            Username = B("Mufasa"),
            Realm = B("http-auth@example.org"),
            Password = B("Circle of Life"),
            Method = B("GET"),
            DigestUri = B("/dir/index.html"),
            Nonce = B("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
            NonceCount = B("00000001"),
            CNonce = B("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
            Qop = B("auth"),
        });
        Assert.Equal(expected, r);
    }

    [Theory]
    [InlineData(DigestAlgorithm.Md5Sess)]
    [InlineData(DigestAlgorithm.Sha256Sess)]
    public void SessionVariantsHashNonceAndCNonceIntoA1(DigestAlgorithm algorithm)
    {
        bool sha = algorithm == DigestAlgorithm.Sha256Sess;
        string H(string s) => Convert.ToHexStringLower(sha ? SHA256.HashData(B(s)) : MD5.HashData(B(s)));
        string ha1 = H(H("bob:example.com:secret") + ":n1:c1");
        string expected = H(ha1 + ":n1:00000002:c1:auth:" + H("INVITE:sip:a@example.com"));
        string r = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = algorithm,
            Username = B("bob"),
            Realm = B("example.com"),
            Password = B("secret"),
            Method = B("INVITE"),
            DigestUri = B("sip:a@example.com"),
            Nonce = B("n1"),
            NonceCount = B("00000002"),
            CNonce = B("c1"),
            Qop = B("auth"),
        });
        Assert.Equal(expected, r);
    }

    [Fact]
    public void NoQopIsRfc2069Form()
    {
        static string H(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));
        string expected = H(H("bob:r:pw") + ":abc:" + H("REGISTER:sip:r"));
        string r = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = DigestAlgorithm.Md5,
            Username = B("bob"),
            Realm = B("r"),
            Password = B("pw"),
            Method = B("REGISTER"),
            DigestUri = B("sip:r"),
            Nonce = B("abc"),
        });
        Assert.Equal(expected, r);
    }

    [Fact]
    public void AuthIntHashesTheBodyIntoA2()
    {
        static string H(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));
        string expected = H(H("u:r:p") + ":n:00000001:c:auth-int:" + H("MESSAGE:sip:x@r:" + H("hello")));
        string r = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = DigestAlgorithm.Md5,
            Username = B("u"),
            Realm = B("r"),
            Password = B("p"),
            Method = B("MESSAGE"),
            DigestUri = B("sip:x@r"),
            Nonce = B("n"),
            NonceCount = B("00000001"),
            CNonce = B("c"),
            Qop = B("auth-int"),
            Body = B("hello"),
        });
        Assert.Equal(expected, r);
    }

    [Fact]
    public void AkaV2PasswordIsBase64OfHmacMd5OverResIkCk()
    {
        byte[] res = Convert.FromHexString("a54211d5e3ba50bf");
        byte[] ck = Convert.FromHexString("b40ba9a3c58b2a05bbf0d987b21bf8cb");
        byte[] ik = Convert.FromHexString("f769bcd751044604127672711c6d3441");
        Span<byte> password = stackalloc byte[24];
        int n = DigestCalculator.AkaV2Password(res, ik, ck, password);
        byte[] key = [.. res, .. ik, .. ck];
        string expected = Convert.ToBase64String(HMACMD5.HashData(key, B("http-digest-akav2-password")));
        Assert.Equal(24, n);
        Assert.Equal(expected, Encoding.ASCII.GetString(password));
    }

    [Theory]
    [InlineData(null, DigestAlgorithm.Md5)]
    [InlineData("md5", DigestAlgorithm.Md5)]
    [InlineData("MD5-sess", DigestAlgorithm.Md5Sess)]
    [InlineData("SHA-256", DigestAlgorithm.Sha256)]
    [InlineData("sha-256-SESS", DigestAlgorithm.Sha256Sess)]
    [InlineData("AKAv1-MD5", DigestAlgorithm.AkaV1Md5)]
    [InlineData("akav2-md5", DigestAlgorithm.AkaV2Md5)]
    public void ParsesAlgorithmTokens(string? token, DigestAlgorithm expected)
    {
        Assert.True(DigestAlgorithms.TryParse(token, out DigestAlgorithm a));
        Assert.Equal(expected, a);
    }

    [Fact]
    public void RejectsUnknownAlgorithm() => Assert.False(DigestAlgorithms.TryParse("SHA-512-256", out _));
}
