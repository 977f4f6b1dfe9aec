// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Message;

/// <summary>Locates the shared test vectors and turns text into wire bytes.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Rfc4475Directory => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "rfc4475"));

    /// <summary>An RFC 4475 message as it goes on the wire: LF→CRLF except for the two files stored binary-exact
    /// (data/rfc4475/README.md).</summary>
    public static byte[] Rfc4475(string name)
    {
        byte[] raw = File.ReadAllBytes(Path.Combine(Rfc4475Directory, name + ".dat"));
        if (name is "intmeth" or "mpart01")
        {
            return raw;
        }

        var output = new List<byte>(raw.Length + 64);
        foreach (byte b in raw)
        {
            if (b == '\n')
            {
                output.Add((byte)'\r');
            }

            output.Add(b);
        }

        return [.. output];
    }

    /// <summary>Text with LF line ends, sent with CRLF.</summary>
    public static byte[] Wire(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));

    public static SipParseResult ParseDatagram(byte[] bytes) => SipParser.Parse(new ReadOnlySequence<byte>(bytes), SipFraming.Datagram);

    public static SipParseResult ParseStream(byte[] bytes) => SipParser.Parse(new ReadOnlySequence<byte>(bytes), SipFraming.Stream);

    /// <summary>A sequence of two segments split at <paramref name="split"/>.</summary>
    public static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split), 0);
        Segment last = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImUeAgent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ImUeAgent.sln not found above {AppContext.BaseDirectory}");
    }
}
