// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Globalization;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>Content referenced by URL instead of carried (message/external-body with access-type=URL, RFC 4483 §4;
/// parameters and phantom headers of RFC 2046 §5.2.3). OMA SIMPLE IM 8.1.1 step 9.</summary>
public sealed record ExternalBodyReference
{
    public ExternalBodyReference(Uri url, MediaType contentType, string? contentId = null, DateTimeOffset? expiration = null, long? size = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(contentType);
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException("The URL must be absolute (RFC 4483 §4)", nameof(url));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(size ?? 0, nameof(size));
        Url = url;
        ContentType = contentType;
        ContentId = contentId;
        Expiration = expiration;
        Size = size;
    }

    public Uri Url { get; }

    /// <summary>The type of the referenced content (the phantom Content-Type, RFC 2046 §5.2.3).</summary>
    public MediaType ContentType { get; }

    /// <summary>The phantom Content-ID, e.g. "&lt;4FAE3B7F.4070103@example.com&gt;".</summary>
    public string? ContentId { get; }

    /// <summary>expiration parameter (RFC 2046 §5.2.3.1: an RFC 822 date).</summary>
    public DateTimeOffset? Expiration { get; }

    /// <summary>size parameter in octets.</summary>
    public long? Size { get; }
}

/// <summary>message/external-body build and parse.</summary>
public static class ExternalBody
{
    public const int MaxSize = 8 * 1024;

    /// <summary>Builds the Content-Type (with access-type, URL, expiration, size) and the phantom header body.</summary>
    public static byte[] Build(ExternalBodyReference reference, out MediaType contentType)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var parameters = new List<SipParameter>
        {
            MimeMediaType.Parameter("access-type", "URL"),
            new("URL", reference.Url.AbsoluteUri, isQuoted: true),
        };
        if (reference.Expiration is { } exp)
        {
            parameters.Add(new SipParameter("expiration", exp.UtcDateTime.ToString("r", CultureInfo.InvariantCulture), isQuoted: true));
        }

        if (reference.Size is { } size)
        {
            parameters.Add(new SipParameter("size", size.ToString(CultureInfo.InvariantCulture)));
        }

        contentType = new MediaType("message", "external-body", parameters);
        var writer = new ArrayBufferWriter<byte>(128);
        ContentText.WriteHeader(writer, "Content-Type", reference.ContentType.ToString());
        if (reference.ContentId is not null)
        {
            ContentText.WriteHeader(writer, "Content-ID", reference.ContentId);
        }

        writer.Write("\r\n"u8);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a message/external-body with access-type=URL.</summary>
    public static ContentResult<ExternalBodyReference> Parse(MediaType contentType, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        if (!contentType.Is("message", "external-body"))
        {
            return ContentResult<ExternalBodyReference>.Fail(ContentError.UnsupportedContentType, 0);
        }

        if (body.Length > MaxSize)
        {
            return ContentResult<ExternalBodyReference>.Fail(ContentError.TooLarge, MaxSize);
        }

        // RFC 2046 §5.2.3: access-type is mandatory; RFC 4483 §4 defines "URL" and its URL parameter.
        if (!string.Equals(contentType.Parameters.GetValue("access-type"), "URL", StringComparison.OrdinalIgnoreCase))
        {
            return ContentResult<ExternalBodyReference>.Fail(ContentError.InvalidParameter, 0);
        }

        if (contentType.Parameters.GetValue("URL") is not { } urlText || !Uri.TryCreate(urlText.Trim(), UriKind.Absolute, out Uri? url))
        {
            return ContentResult<ExternalBodyReference>.Fail(ContentError.InvalidParameter, 0);
        }

        DateTimeOffset? expiration = null;
        if (contentType.Parameters.GetValue("expiration") is { } e)
        {
            if (!DateTimeOffset.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset when))
            {
                return ContentResult<ExternalBodyReference>.Fail(ContentError.InvalidParameter, 0);
            }

            expiration = when;
        }

        long? size = null;
        if (contentType.Parameters.GetValue("size") is { } s)
        {
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                return ContentResult<ExternalBodyReference>.Fail(ContentError.InvalidParameter, 0);
            }

            size = n;
        }

        var headers = new List<MimeHeader>();
        HeaderBlockOptions options = HeaderBlockOptions.Strict with { AllowEndOfInput = true };
        ContentError error = HeaderBlockReader.Read(body.Span, options, headers, out _, out int offset);
        if (error != ContentError.None)
        {
            return ContentResult<ExternalBodyReference>.Fail(error, offset);
        }

        var list = new MimeHeaderList(headers);
        if (list.GetValue("Content-Type") is not { } ct)
        {
            return ContentResult<ExternalBodyReference>.Fail(ContentError.MissingHeader, 0);
        }

        if (!MimeMediaType.TryParse(ct, out MediaType? inner))
        {
            return ContentResult<ExternalBodyReference>.Fail(ContentError.InvalidContentType, 0);
        }

        return ContentResult<ExternalBodyReference>.Ok(new ExternalBodyReference(url, inner, list.GetValue("Content-ID"), expiration, size));
    }
}
