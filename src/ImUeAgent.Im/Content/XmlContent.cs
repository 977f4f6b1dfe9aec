// SPDX-License-Identifier: MIT
using System.Text;
using System.Xml;

namespace ImUeAgent.Im.Content;

/// <summary>Safe XmlReader/XmlWriter settings for the small XML bodies of OMA SIMPLE IM: no DTD (no entity expansion,
/// no external resolution), a character cap, UTF-8 output without BOM.</summary>
internal static class XmlContent
{
    public static XmlReaderSettings ReaderSettings(long maxCharacters) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };

    public static XmlWriterSettings WriterSettings { get; } = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = false,
        CloseOutput = false,
    };

    public static XmlReader CreateReader(ReadOnlyMemory<byte> xml, long maxCharacters) =>
        XmlReader.Create(new MemoryStreamView(xml), ReaderSettings(maxCharacters));

    public static byte[] Write(Action<XmlWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, WriterSettings))
        {
            write(writer);
        }

        return stream.ToArray();
    }

    /// <summary>Runs a reader function, turning XmlException into <see cref="ContentError.MalformedXml"/> at the
    /// reported line and column.</summary>
    public static ContentResult<T> Read<T>(ReadOnlyMemory<byte> xml, long maxBytes, Func<XmlReader, ContentResult<T>> read)
        where T : class
    {
        if (xml.IsEmpty)
        {
            return ContentResult<T>.Fail(ContentError.Empty, 0);
        }

        if (xml.Length > maxBytes)
        {
            return ContentResult<T>.Fail(ContentError.TooLarge, maxBytes);
        }

        try
        {
            using XmlReader reader = CreateReader(xml, maxBytes);
            return read(reader);
        }
        catch (XmlException e)
        {
            return ContentResult<T>.FailAt(ContentError.MalformedXml, e.LineNumber, e.LinePosition);
        }
    }

    /// <summary>Fails at the reader's current position.</summary>
    public static ContentResult<T> FailHere<T>(XmlReader reader, ContentError error)
        where T : class
    {
        var info = reader as IXmlLineInfo;
        return ContentResult<T>.FailAt(error, info?.LineNumber ?? 0, info?.LinePosition ?? 0);
    }

    /// <summary>Moves to the root element.</summary>
    public static bool MoveToRoot(XmlReader reader) => reader.MoveToContent() == XmlNodeType.Element;

    /// <summary>Reads element text (mixed content flattened); leaves the reader after the end tag.</summary>
    public static string ReadText(XmlReader reader) => reader.IsEmptyElement ? Skip(reader) : reader.ReadElementContentAsString().Trim();

    private static string Skip(XmlReader reader)
    {
        reader.Read();
        return string.Empty;
    }

    /// <summary>A read-only Stream over a ReadOnlyMemory, so XmlReader reads the body without copying it.</summary>
    private sealed class MemoryStreamView(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
