// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Tests.Content;

/// <summary>The deferred-message examples of the seed (OMA SIMPLE IM Appendix D.2, Change 9), transcribed with their
/// formatting errata (stray indentation, blank lines between headers, "sip: user" in URIs, no empty line after part
/// headers, an indented delimiter and a "--boundary42-" close delimiter, LF line ends).</summary>
internal static class SeedExamples
{
    /// <summary>Example 1: the body of the pushed MSRP SEND (Content-Type: message/sip).</summary>
    public const string Example1EncapsulatedMessage = """


   MESSAGE sip:user2@imserver.com SIP/2.0
   Via: SIP/2.0/TCP user1pc.imserver.com;branch=z9hG4bK776sgdkse
   Max-Forwards: 70
   From: sip:user1@imserver.com;tag=49583
   To: sip:user2@imserver.com
   Accept-Contact: *;+g.oma.sip-im; 

Accept-Contact: +g.3gpp.app_ref="<value>";explicit;require

   Call-ID: asd88asd77a@1.2.3.4
   Date: Thu, 21 Feb 2002 13:02:03 GMT 
   CSeq: 1 MESSAGE
   Content-Type: text/plain
   Content-Length: 18

   Watson, come here.
""";

    /// <summary>Example 2: the whole MSRP SEND frame the IM Server pushes.</summary>
    public const string Example2PushedSend = """
   MSRP elfj49te SEND
   To-Path: msrp://user2.imserver.com:7777/iau39;tcp
   From-Path: msrp://imserver.com:8888/9di4ea;tcp
   Message-ID: 453
   Content-Type: multipart/mixed; boundary="boundary42"

--boundary42


   Content-Type: message/sip

  INVITE sip: user2@imserver.com SIP/2.0
   To: <sip:user2@imserver.com>
   From: <sip:user1@imserver.com>;tag=786
Accept-Contact: *;+g.oma.sip-im; +g.3gpp.app_ref="<value>"
   Call-ID: 3413an89KU
   Date: Thu, 21 Feb 2005 13:02:03 GMT 
   Content-Type: application/sdp
   c=IN IP4 user1.imserver.com
   m=message 7654 TCP/MSRP *
   a=accept-types:text/plain
   a=path:msrp://user1.imserver.com:7654/jshA7we;tcp

--boundary42


   Content-Type: message/sip

   SIP/2.0 200 OK

   To: <sip:user2@imserver.com>;tag=087js

   From: <sip: user1@imserver.com >;tag=786

   Call-ID: 3413an89KU

   Date: Thu, 21 Feb 2005 13:02:03 GMT 
   Content-Type: application/sdp

   c=IN IP4 imserver.com

   m=message 12763 TCP/MSRP *

   a=accept-types:text/plain

   a=path:msrp://imserver.com:12763/kjhd37s2s2;tcp

--boundary42


   Content-Type: message/msrp 
   MSRP dkei38sd SEND
   To-Path: msrp://imserver.com:7777/iau39;tcp
   From-Path: msrp://user1.imserver.com:8888/9di4ea;tcp
   Message-ID: 456
   Date: Thu, 21 Feb 2005 13:02:04 GMT 
   Content-Type: text/plain

       Hi, Alice!  I'm Bob!
       -------dkei38sd$
  

    --boundary42
   Content-Type: message/sip  
   BYE sip:user2@imserver.com SIP/2.0

   Date: Thu, 21 Feb 2005 13:02:05 GMT 
   .........
  
      --boundary42-

   -------elfj49te$
""";
}
