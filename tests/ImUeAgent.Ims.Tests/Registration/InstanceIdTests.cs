// SPDX-License-Identifier: MIT
using ImUeAgent.Ims.Registration;

namespace ImUeAgent.Ims.Tests.Registration;

public sealed class InstanceIdTests
{
    [Theory]
    [InlineData("356938035643809", "urn:gsma:imei:35693803-564380-0")]   // RFC 7254 example IMEI, check digit dropped
    [InlineData("35693803564380", "urn:gsma:imei:35693803-564380-0")]
    [InlineData("3569380356438012", "urn:gsma:imei:35693803-564380-0")]  // IMEISV: software version not used
    [InlineData(" 356938035643809 ", "urn:gsma:imei:35693803-564380-0")]
    public void Imei_becomes_the_gsma_urn_with_spare_zero(string imei, string expected) =>
        Assert.Equal(expected, InstanceId.FromImei(imei));

    [Theory]
    [InlineData("")]
    [InlineData("3569380356438")]
    [InlineData("35693803564380A")]
    [InlineData("35693803564380123")]
    public void Non_imei_is_rejected(string imei) =>
        Assert.Throws<ArgumentException>(() => InstanceId.FromImei(imei));

    [Fact]
    public void Contact_parameter_is_quoted_with_angle_brackets() =>
        Assert.Equal("+sip.instance=\"<urn:gsma:imei:35693803-564380-0>\"", InstanceId.ContactParameter("urn:gsma:imei:35693803-564380-0"));
}
