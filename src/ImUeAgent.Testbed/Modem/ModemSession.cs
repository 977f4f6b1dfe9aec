// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// One TE connection to the emulated MT over an <see cref="IDuplexPipe"/>: frames command lines, echoes them,
/// runs them through the <see cref="ModemInterpreter"/>, applies the reply-path faults and interleaves URCs. A
/// single write gate keeps a reply and the URCs it caused in order (reply first) and never splits a line.
/// </summary>
internal sealed class ModemSession : IDisposable
{
    private readonly ModemInterpreter _interpreter;
    private readonly FaultState _faults;
    private readonly Transcript _transcript;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _urcSignal = new(0, 1);
    private PipeWriter? _output;

    public ModemSession(ModemInterpreter interpreter, FaultState faults, Transcript transcript, ILogger logger, TimeProvider time)
    {
        _interpreter = interpreter;
        _faults = faults;
        _transcript = transcript;
        _logger = logger;
        _time = time;
    }

    /// <summary>Serves the connection until the TE closes it or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(IDuplexPipe transport, CancellationToken cancellationToken)
    {
        _output = transport.Output;
        _interpreter.DiscardUrcs();
        _interpreter.UrcQueued += SignalUrc;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var urcPump = PumpUrcsAsync(stop.Token);
        try
        {
            await ReadCommandsAsync(transport.Input, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _interpreter.UrcQueued -= SignalUrc;
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await urcPump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The pump ends with the session.
            }

            _output = null;
        }
    }

    /// <summary>Sends <paramref name="count"/> random bytes (control `garbage N`).</summary>
    public async Task SendGarbageAsync(int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        RandomNumberGenerator.Fill(bytes);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_output is { } output)
            {
                _transcript.Event($"{count} garbage bytes sent");
                await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                _logger.GarbageSent(count);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose()
    {
        _writeGate.Dispose();
        _urcSignal.Dispose();
    }

    private void SignalUrc()
    {
        // At most one pending signal: the pump takes every queued URC at once.
        if (_urcSignal.CurrentCount == 0)
        {
            try
            {
                _urcSignal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another thread signalled between the check and the release: one signal is enough.
            }
        }
    }

    private async Task ReadCommandsAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var discarding = false;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            try
            {
                while (!buffer.IsEmpty)
                {
                    if (discarding)
                    {
                        var ended = AtLineFramer.SkipToEndOfLine(buffer, out consumed);
                        buffer = buffer.Slice(consumed);
                        if (!ended)
                        {
                            break;
                        }

                        discarding = false;
                        await ReplyAsync(new AtReply([], AtResultCode.Error, "ERROR"), cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    var status = AtLineFramer.TryReadLine(buffer, out var line, out consumed);
                    buffer = buffer.Slice(consumed);
                    if (status == AtFrameStatus.Incomplete)
                    {
                        break;
                    }

                    if (status is AtFrameStatus.LineTooLong or AtFrameStatus.Overflow)
                    {
                        _logger.LineTooLong(AtLineFramer.MaxLineLength);
                        discarding = status == AtFrameStatus.Overflow;
                        if (!discarding)
                        {
                            await ReplyAsync(new AtReply([], AtResultCode.Error, "ERROR"), cancellationToken).ConfigureAwait(false);
                        }

                        continue;
                    }

                    await HandleLineAsync(line, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                input.AdvanceTo(consumed, buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private async Task HandleLineAsync(string line, CancellationToken cancellationToken)
    {
        _transcript.Received(line);
        var echo = _interpreter.EchoEnabled;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (echo)
            {
                await WriteAsync(line + "\r", cancellationToken).ConfigureAwait(false);
            }

            var reply = _interpreter.Execute(line);
            var verbose = _interpreter.Verbose;
            if (!reply.IsNone)
            {
                if (_faults.TakeDrop())
                {
                    _logger.ReplyDropped();
                }
                else
                {
                    var delay = _faults.ReplyDelay;
                    if (delay > TimeSpan.Zero)
                    {
                        _logger.ReplyDelayed(delay.TotalMilliseconds);
                        await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    }

                    await WriteReplyAsync(reply, verbose, cancellationToken).ConfigureAwait(false);
                }
            }

            await WriteUrcsAsync(verbose, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task ReplyAsync(AtReply reply, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteReplyAsync(reply, _interpreter.Verbose, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task WriteReplyAsync(AtReply reply, bool verbose, CancellationToken cancellationToken)
    {
        foreach (var line in reply.Information)
        {
            _transcript.Sent(line);
        }

        if (reply.FinalText.Length > 0)
        {
            _transcript.Sent(reply.FinalText);
            if (reply.TrailingOk)
            {
                _transcript.Sent("OK");
            }
        }

        await WriteAsync(reply.Format(verbose), cancellationToken).ConfigureAwait(false);
    }

    private async Task PumpUrcsAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _urcSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await WriteUrcsAsync(_interpreter.Verbose, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeGate.Release();
            }
        }
    }

    private async Task WriteUrcsAsync(bool verbose, CancellationToken cancellationToken)
    {
        var urcs = _interpreter.TakeUrcs();
        if (urcs.Count == 0)
        {
            return;
        }

        var builder = new StringBuilder();
        foreach (var urc in urcs)
        {
            _transcript.Sent(urc);
            builder.Append(AtReply.FormatUnsolicited(urc.Text, verbose));
        }

        await WriteAsync(builder.ToString(), cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(string text, CancellationToken cancellationToken)
    {
        if (_output is not { } output || text.Length == 0)
        {
            return;
        }

        var length = Encoding.Latin1.GetByteCount(text);
        var span = output.GetSpan(length);
        Encoding.Latin1.GetBytes(text, span);
        output.Advance(length);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
