// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Isim;

namespace ImUeAgent.Uicc.Tests.Isim;

public sealed class ImsIdentityTests
{
    [Fact]
    public void Two_digit_mnc_is_padded_to_three()
    {
        // TS 23.003 §13.3 example: IMSI 234150999999999, MCC 234, MNC 15.
        var identity = ImsIdentity.FromImsi("234150999999999");
        Assert.Equal("234150999999999@ims.mnc015.mcc234.3gppnetwork.org", identity.Impi);
        Assert.Equal(["sip:234150999999999@ims.mnc015.mcc234.3gppnetwork.org"], identity.Impus);
        Assert.Equal("ims.mnc015.mcc234.3gppnetwork.org", identity.HomeDomain);
        Assert.True(identity.IsDerivedFromImsi);
    }

    [Fact]
    public void Three_digit_mnc_from_ef_ad()
    {
        var identity = ImsIdentity.FromImsi("310260123456789", mncLength: 3);
        Assert.Equal("310260123456789@ims.mnc260.mcc310.3gppnetwork.org", identity.Impi);
        Assert.Equal("ims.mnc260.mcc310.3gppnetwork.org", identity.HomeDomain);
        Assert.Equal("sip:310260123456789@ims.mnc260.mcc310.3gppnetwork.org", identity.Impus[0]);
    }

    [Theory]
    [InlineData("23415099999999x", 2)]
    [InlineData("23415", 2)]
    [InlineData("2341509999999999", 2)]
    [InlineData("234150999999999", 1)]
    [InlineData("234150999999999", 4)]
    public void Bad_input_is_refused(string imsi, int mncLength) =>
        Assert.ThrowsAny<ArgumentException>(() => ImsIdentity.FromImsi(imsi, mncLength));

    [Fact]
    public void ToString_redacts_the_impi()
    {
        var text = ImsIdentity.FromImsi("234150999999999").ToString();
        Assert.DoesNotContain("999999999", text, StringComparison.Ordinal);
        Assert.Contains("ims.mnc015.mcc234.3gppnetwork.org", text, StringComparison.Ordinal);
    }
}
