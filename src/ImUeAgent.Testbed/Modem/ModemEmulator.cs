// SPDX-License-Identifier: MIT
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The running emulator: creates the port, serves TE connections one at a time with a <see cref="ModemSession"/>
/// over the one <see cref="ModemInterpreter"/>, and carries out control commands (faults, network events, reset,
/// vanish). Announces every (re)created port through <see cref="Announce"/>.
/// </summary>
internal sealed class ModemEmulator : IAsyncDisposable
{
    private readonly Func<IModemPort> _createPort;
    private readonly ModemInterpreter _interpreter;
    private readonly FaultState _faults;
    private readonly Transcript _transcript;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Action<string> _announce;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _firstPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _portLifetime;
    private ModemSession? _session;
    private TimeSpan? _vanishFor;
    private IModemPort? _port;

    public ModemEmulator(Func<IModemPort> createPort, ModemInterpreter interpreter, FaultState faults, Transcript transcript,
        ILogger logger, TimeProvider time, Action<string> announce)
    {
        _createPort = createPort;
        _interpreter = interpreter;
        _faults = faults;
        _transcript = transcript;
        _logger = logger;
        _time = time;
        _announce = announce;
    }

    /// <summary>Completes when the first port is up and announced.</summary>
    public Task FirstPortReady => _firstPort.Task;

    /// <summary>The port currently up, if any (tests read its address).</summary>
    public IModemPort? Port
    {
        get
        {
            lock (_gate)
            {
                return _port;
            }
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            IModemPort port;
            try
            {
                port = _createPort();
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                _firstPort.TrySetException(exception);
                throw;
            }

            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (_gate)
            {
                _port = port;
                _portLifetime = lifetime;
                _vanishFor = null;
            }

            foreach (var line in port.Announcement)
            {
                _announce(line);
            }

            _logger.PortReady(string.Join(", ", port.Announcement));
            _firstPort.TrySetResult();
            try
            {
                await ServeAsync(port, lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
            {
                // Vanish or shutdown.
            }
            finally
            {
                lock (_gate)
                {
                    _port = null;
                    _portLifetime = null;
                }

                await port.DisposeAsync().ConfigureAwait(false);
            }

            TimeSpan? absence;
            lock (_gate)
            {
                absence = _vanishFor;
            }

            if (absence is null || cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // A vanished USB modem comes back re-enumerated: rebooted, every state lost.
            _interpreter.Reset(announce: false);
            await Task.Delay(absence.Value, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Carries out one control line; returns the answer ("OK …" or "ERROR …").</summary>
    public async Task<string> ControlAsync(string line, CancellationToken cancellationToken)
    {
        var error = ControlCommand.TryParse(line, out var command);
        var answer = error == ControlError.None
            ? await ApplyAsync(command, cancellationToken).ConfigureAwait(false)
            : "ERROR " + ControlCommand.Describe(error);
        _logger.ControlCommand(Transcript.Printable(line), answer);
        return answer;
    }

    public async Task<string> ApplyAsync(ControlCommand command, CancellationToken cancellationToken)
    {
        switch (command.Verb)
        {
            case ControlVerb.Slow:
                _faults.ReplyDelay = TimeSpan.FromMilliseconds(command.Number!.Value);
                return "OK";
            case ControlVerb.Drop:
                _faults.DropReplies(command.Number!.Value);
                return "OK";
            case ControlVerb.Garbage:
                ModemSession? session;
                lock (_gate)
                {
                    session = _session;
                }

                if (session is null)
                {
                    return "ERROR no client connected";
                }

                try
                {
                    await session.SendGarbageAsync(command.Number!.Value, cancellationToken).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    return "ERROR no client connected";
                }

                return "OK";
            case ControlVerb.Reset:
                _interpreter.Reset();
                return "OK";
            case ControlVerb.Vanish:
                lock (_gate)
                {
                    if (_portLifetime is null)
                    {
                        return "ERROR no port up";
                    }

                    _vanishFor = TimeSpan.FromMilliseconds(command.Number!.Value);
                    _logger.Vanishing(command.Number.Value);
                    _portLifetime.Cancel();
                }

                return "OK";
            case ControlVerb.DenyAttach:
                _interpreter.DenyAttach(command.Number!.Value);
                return "OK";
            case ControlVerb.AllowAttach:
                _interpreter.AllowAttach();
                return "OK";
            case ControlVerb.Detach:
                _interpreter.Detach(command.Number is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
                return "OK";
            case ControlVerb.PdnDrop:
                return _interpreter.DropPdn(command.Number) ? "OK" : "ERROR no such active context";
            case ControlVerb.Urc:
                _interpreter.InjectUrc(command.Text!);
                return "OK";
            case ControlVerb.Status:
                return "OK " + _interpreter.Status() + string.Create(CultureInfo.InvariantCulture,
                    $" slow={_faults.ReplyDelay.TotalMilliseconds}");
            case ControlVerb.Help:
                return "OK " + ControlCommand.HelpText;
            default:
                return "ERROR unknown command";
        }
    }

    public ValueTask DisposeAsync()
    {
        _interpreter.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ServeAsync(IModemPort port, CancellationToken cancellationToken)
    {
        var name = port.Announcement[0];
        while (true)
        {
            var connection = await port.AcceptAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                _logger.ClientConnected(name);
                _transcript.Event("client connected");
                using var session = new ModemSession(_interpreter, _faults, _transcript, _logger, _time);
                lock (_gate)
                {
                    _session = session;
                }

                try
                {
                    await session.RunAsync(connection.Transport, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is IOException or InvalidOperationException)
                {
                    _logger.SessionFailed(exception);
                }
                finally
                {
                    lock (_gate)
                    {
                        _session = null;
                    }

                    _logger.ClientGone(name);
                    _transcript.Event("client gone");
                }
            }
        }
    }
}
