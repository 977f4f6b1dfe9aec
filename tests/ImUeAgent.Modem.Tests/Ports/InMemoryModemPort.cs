// SPDX-License-Identifier: MIT
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Modem.Ports;

namespace ImUeAgent.Modem.Tests.Ports;

/// <summary>
/// An in-memory port (Kestrel's InMemoryTransportConnection idea): every open creates a pipe pair and hands the modem
/// side to the test as a <see cref="ScriptedModem"/>. It can be unplugged (opens fail, the open connection dies the
/// way a USB device does) and plugged back.
/// </summary>
internal sealed class InMemoryModemPort : IModemPort
{
    private readonly Channel<ScriptedModem> _opened = Channel.CreateUnbounded<ScriptedModem>();
    private readonly long _pauseThreshold;
    private ScriptedModem? _current;
    private int _openCount;
    private int _failedOpens;

    public InMemoryModemPort(long pauseWriterThreshold = 64 * 1024)
    {
        _pauseThreshold = pauseWriterThreshold;
    }

    public string Name => "memory:modem";

    public bool IsPlugged { get; private set; } = true;

    public int OpenCount => Volatile.Read(ref _openCount);

    public int FailedOpens => Volatile.Read(ref _failedOpens);

    public ValueTask<ModemConnection> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsPlugged)
        {
            Interlocked.Increment(ref _failedOpens);
            throw new FileNotFoundException("modem device memory:modem does not exist");
        }

        Interlocked.Increment(ref _openCount);
        var toModem = new Pipe(new PipeOptions(pauseWriterThreshold: _pauseThreshold, resumeWriterThreshold: _pauseThreshold / 2, useSynchronizationContext: false));
        var toAgent = new Pipe(new PipeOptions(pauseWriterThreshold: _pauseThreshold, resumeWriterThreshold: _pauseThreshold / 2, useSynchronizationContext: false));
        var modem = new ScriptedModem(toModem.Reader, toAgent.Writer);
        _current = modem;
        _opened.Writer.TryWrite(modem);
        return ValueTask.FromResult<ModemConnection>(new Connection(new DuplexPipe(toAgent.Reader, toModem.Writer)));
    }

    /// <summary>The modem side of the next (or last unclaimed) open.</summary>
    public Task<ScriptedModem> NextModemAsync() => _opened.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));

    /// <summary>USB unplug: further opens fail and the open connection's reads fail with an I/O error.</summary>
    public void Unplug(bool withError = true)
    {
        IsPlugged = false;
        _current?.Vanish(withError);
    }

    public void Plug() => IsPlugged = true;

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class Connection(IDuplexPipe transport) : ModemConnection
    {
        public override IDuplexPipe Transport { get; } = transport;

        public override async ValueTask DisposeAsync()
        {
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
        }
    }
}

/// <summary>The modem end of an in-memory port, with an expect/send API (STYLE.md §14).</summary>
internal sealed class ScriptedModem
{
    private readonly PipeReader _fromAgent;
    private readonly PipeWriter _toAgent;

    public ScriptedModem(PipeReader fromAgent, PipeWriter toAgent)
    {
        _fromAgent = fromAgent;
        _toAgent = toAgent;
    }

    /// <summary>Reads what the agent wrote up to and including CR (a command) or Ctrl-Z (data); returns it without the terminator.</summary>
    public async Task<string> ReadCommandAsync()
    {
        while (true)
        {
            var result = await _fromAgent.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            var buffer = result.Buffer;
            var end = buffer.PositionOfAny((byte)'\r', 0x1A);
            if (end is { } position)
            {
                var text = Encoding.ASCII.GetString(buffer.Slice(0, position));
                _fromAgent.AdvanceTo(buffer.GetPosition(1, position));
                return text;
            }

            _fromAgent.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("the agent closed the port");
            }
        }
    }

    public async Task ExpectAsync(string command) => Assert.Equal(command, await ReadCommandAsync());

    public async Task SendAsync(string raw) => await SendAsync(Encoding.UTF8.GetBytes(raw));

    public async Task SendAsync(ReadOnlyMemory<byte> raw)
    {
        var result = await _toAgent.WriteAsync(raw).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        if (result.IsCompleted)
        {
            throw new InvalidOperationException("the agent closed the port");
        }
    }

    /// <summary>Sends each line framed as V.250 responses are: CR LF line CR LF.</summary>
    public Task ReplyAsync(params string[] lines) => SendAsync(string.Concat(lines.Select(l => $"\r\n{l}\r\n")));

    /// <summary>Answers the channel's synchronisation "AT".</summary>
    public async Task AnswerSyncAsync()
    {
        await ExpectAsync("AT");
        await ReplyAsync("OK");
    }

    internal void Vanish(bool withError)
    {
        _toAgent.Complete(withError ? new IOException("Input/output error (device unplugged)") : null);
    }
}

internal static class SequenceExtensions
{
    public static SequencePosition? PositionOfAny(this in System.Buffers.ReadOnlySequence<byte> sequence, byte a, byte b)
    {
        var reader = new System.Buffers.SequenceReader<byte>(sequence);
        return reader.TryAdvanceToAny([a, b], advancePastDelimiter: false) ? reader.Position : null;
    }
}
