// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Modem.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Modem.At;

/// <summary>
/// The AT command channel to one modem port: one command in flight, each with its own timeout; lines routed by the
/// single rule of STYLE.md §8 (echo → final result table → expected prefixes → URC); after a timeout a
/// resynchronisation ("AT", its answer, then a quiet gap) so a late reply never answers the next command; after
/// <see cref="AtChannelSettings.MaxConsecutiveTimeouts"/> in a row, or when the port fails, the channel breaks and
/// reopens with backoff (STYLE.md §9). Callers see <see cref="AtResponse"/>s and <see cref="StatusChanged"/>, never
/// port exceptions.
/// </summary>
public sealed class AtChannel : IAsyncDisposable
{
    private readonly IModemPort _port;
    private readonly AtChannelSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AtCommand _resyncCommand;
    private readonly Lock _gate = new();
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task? _run;
    private int _disposed;
    private long _framingErrors;

    // Guarded by _gate: shared by the reader loop and the command loop.
    private AtChannelStatus _status;
    private TaskCompletionSource _statusChanged = NewSignal();
    private InFlight? _inFlight;
    private AtCommand? _abandoned;
    private long _staleLines;
    private TaskCompletionSource? _trailingOk;

    // Command loop only.
    private int _consecutiveTimeouts;
    private string _failure = string.Empty;

    public AtChannel(IModemPort port, AtChannelSettings? settings = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(port);
        _port = port;
        _settings = settings ?? new AtChannelSettings();
        _settings.Validate();
        _time = timeProvider ?? TimeProvider.System;
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = factory.CreateLogger("ImUeAgent.Modem.At.AtChannel");
        Urcs = new AtUrcRouter(factory.CreateLogger("ImUeAgent.Modem.At.AtUrcRouter"));
        _resyncCommand = new AtCommand("AT") { Timeout = _settings.ResyncTimeout, NoRetransmit = true };
        _status = new AtChannelStatus(AtChannelState.Closed, AtChannelBreakReason.None, null, _time.GetUtcNow());
    }

    public string PortName => _port.Name;

    public AtChannelSettings Settings => _settings;

    /// <summary>Subscribe here for unsolicited result codes.</summary>
    public AtUrcRouter Urcs { get; }

    /// <summary>Receives every command, data block, line, prompt and framing error with a timestamp (redacted when sensitive).</summary>
    public IAtTranscript? Transcript { get; set; }

    public AtChannelStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Lines rejected by the framer since the channel was created.</summary>
    public long FramingErrors => Interlocked.Read(ref _framingErrors);

    /// <summary>Raised on every state change, from the channel's supervisor task, in order.</summary>
    public event Action<AtChannelStatus>? StatusChanged;

    /// <summary>Starts opening the port in the background; commands sent before <see cref="AtChannelState.Ready"/> wait in the queue.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            _run ??= Task.Run(RunAsync);
        }
    }

    /// <summary>Completes when the channel is (or gets) in <paramref name="state"/>.</summary>
    public async Task<AtChannelStatus> WaitForStateAsync(AtChannelState state, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_status.State == state)
                {
                    return _status;
                }

                changed = _statusChanged.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Queues <paramref name="command"/> and completes with its answer, or with <see cref="AtResultCode.TimedOut"/> /
    /// <see cref="AtResultCode.ChannelUnavailable"/>. Cancelling abandons the command (the channel resynchronises if
    /// it was already written) and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public Task<AtResponse> SendAsync(AtCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<AtResponse>(cancellationToken);
        }

        var request = new Request(command, cancellationToken);
        lock (_gate)
        {
            if (_status.State == AtChannelState.Broken)
            {
                return Task.FromResult(AtResponse.Synthetic(command, AtResultCode.ChannelUnavailable));
            }

            _queue.Writer.TryWrite(request);
        }

        if (cancellationToken.CanBeCanceled)
        {
            request.Registration = cancellationToken.Register(
                static state =>
                {
                    var (channel, request) = ((AtChannel, Request))state!;
                    channel.CancelRequest(request);
                },
                (this, request));
        }

        return request.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        Task? run;
        lock (_gate)
        {
            run = _run;
        }

        if (run is not null)
        {
            await run.ConfigureAwait(false);
        }

        SetStatus(AtChannelState.Closed, AtChannelBreakReason.None, null);
        FailQueued();
        _stopping.Dispose();
    }

    // ----- Supervisor: open, synchronise, serve commands, break, back off, reopen. -----

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        var backoff = _settings.ReopenBackoffInitial;
        try
        {
            while (!token.IsCancellationRequested)
            {
                SetStatus(AtChannelState.Opening, AtChannelBreakReason.None, _port.Name);
                ModemConnection connection;
                try
                {
                    connection = await _port.OpenAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
                {
                    _logger.PortOpenFailed(_port.Name, exception.Message);
                    if (!await BreakAndWaitAsync(AtChannelBreakReason.PortUnavailable, exception.Message, backoff, token).ConfigureAwait(false))
                    {
                        break;
                    }

                    backoff = NextBackoff(backoff);
                    continue;
                }

                var (reason, detail, reachedReady) = await RunSessionAsync(connection, token).ConfigureAwait(false);
                if (token.IsCancellationRequested)
                {
                    break;
                }

                if (reachedReady)
                {
                    backoff = _settings.ReopenBackoffInitial;
                }

                if (reason == AtChannelBreakReason.PortLost)
                {
                    _logger.PortLost(_port.Name, detail);
                }

                if (!await BreakAndWaitAsync(reason, detail, backoff, token).ConfigureAwait(false))
                {
                    break;
                }

                backoff = NextBackoff(backoff);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _logger.SupervisorFailed(exception);
        }

        SetStatus(AtChannelState.Closed, AtChannelBreakReason.None, null);
        FailQueued();
    }

    private TimeSpan NextBackoff(TimeSpan current)
    {
        var doubled = current * 2;
        return doubled > _settings.ReopenBackoffMax ? _settings.ReopenBackoffMax : doubled;
    }

    private async Task<bool> BreakAndWaitAsync(AtChannelBreakReason reason, string detail, TimeSpan backoff, CancellationToken token)
    {
        SetStatus(AtChannelState.Broken, reason, detail);
        try
        {
            await Task.Delay(backoff, _time, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<(AtChannelBreakReason Reason, string Detail, bool ReachedReady)> RunSessionAsync(ModemConnection connection, CancellationToken stopping)
    {
        using var session = new Session(connection, stopping);
        lock (_gate)
        {
            _inFlight = null;
            _abandoned = null;
            _trailingOk = null;
        }

        _consecutiveTimeouts = 0;
        var readLoop = ReadLoopAsync(session);
        var reachedReady = false;
        Request? current = null;
        try
        {
            if (!await ResynchroniseAsync(session).ConfigureAwait(false))
            {
                session.Lose(AtChannelBreakReason.Unresponsive, _failure);
            }
            else
            {
                SetStatus(AtChannelState.Ready, AtChannelBreakReason.None, null);
                reachedReady = true;
                while (true)
                {
                    current = await _queue.Reader.ReadAsync(session.Token).ConfigureAwait(false);
                    if (!await ExecuteAsync(session, current).ConfigureAwait(false))
                    {
                        session.Lose(AtChannelBreakReason.Unresponsive, _failure);
                        break;
                    }

                    current = null;
                }
            }
        }
        catch (OperationCanceledException) when (session.Token.IsCancellationRequested)
        {
            // The port was lost (reason already recorded) or the channel is stopping.
        }
        catch (Exception exception) when (IsPortFailure(exception))
        {
            session.Lose(AtChannelBreakReason.PortLost, exception.Message);
        }
        finally
        {
            current?.Complete(AtResponse.Synthetic(current.Command, AtResultCode.ChannelUnavailable));
            session.Lose(AtChannelBreakReason.PortLost, "closed");
            await connection.DisposeAsync().ConfigureAwait(false);
            await readLoop.ConfigureAwait(false);
            lock (_gate)
            {
                _inFlight = null;
                _trailingOk = null;
            }

            Urcs.FlushCollecting();
        }

        return (session.Reason, session.Detail, reachedReady);
    }

    /// <summary>Runs one request to its end; false when the channel must break (the modem stopped answering).</summary>
    private async Task<bool> ExecuteAsync(Session session, Request request)
    {
        var command = request.Command;
        var attempt = 0;
        while (true)
        {
            var (outcome, response) = await TransactAsync(session, command, request).ConfigureAwait(false);
            switch (outcome)
            {
                case Outcome.Skipped:
                    return true;

                case Outcome.Completed:
                    _consecutiveTimeouts = 0;
                    request.Complete(response!);
                    if (response!.Result is AtResultCode.CmeError or AtResultCode.CmsError)
                    {
                        await SwallowTrailingOkAsync(session.Token).ConfigureAwait(false);
                    }

                    return true;

                case Outcome.Aborted:
                    _logger.CommandCancelledInFlight(command.Display);
                    return await RecoverAsync(session, command).ConfigureAwait(false);

                default:
                    _consecutiveTimeouts++;
                    var timeout = command.Timeout ?? _settings.DefaultCommandTimeout;
                    _logger.CommandTimedOut(command.Display, timeout.TotalMilliseconds, _consecutiveTimeouts);
                    var retransmit = !command.NoRetransmit && attempt < _settings.RetransmissionsOnTimeout;
                    if (!retransmit)
                    {
                        // The caller learns now; the channel still drains the late reply before the next command.
                        request.Complete(AtResponse.Synthetic(command, AtResultCode.TimedOut));
                    }

                    if (_consecutiveTimeouts >= _settings.MaxConsecutiveTimeouts)
                    {
                        _failure = $"{_consecutiveTimeouts} commands in a row unanswered (last {command.Display})";
                        request.Complete(AtResponse.Synthetic(command, AtResultCode.TimedOut));
                        return false;
                    }

                    if (!await RecoverAsync(session, command).ConfigureAwait(false))
                    {
                        request.Complete(AtResponse.Synthetic(command, AtResultCode.TimedOut));
                        return false;
                    }

                    if (!retransmit || request.IsCompleted)
                    {
                        return true;
                    }

                    attempt++;
                    _logger.CommandRetransmitted(command.Display, attempt + 1);
                    break;
            }
        }
    }

    private async Task<bool> RecoverAsync(Session session, AtCommand abandoned)
    {
        lock (_gate)
        {
            _abandoned = abandoned;
        }

        SetStatus(AtChannelState.Resynchronising, AtChannelBreakReason.None, abandoned.Display);
        if (!await ResynchroniseAsync(session).ConfigureAwait(false))
        {
            return false;
        }

        SetStatus(AtChannelState.Ready, AtChannelBreakReason.None, null);
        return true;
    }

    /// <summary>
    /// STYLE.md §9: "AT" until it is answered, then a quiet gap in which nothing stale (echo or information text of the
    /// abandoned command, a final result with no command waiting) arrives. Whatever the abandoned command still had to
    /// say lands in the gap, so the next command's answer is its own.
    /// </summary>
    private async Task<bool> ResynchroniseAsync(Session session)
    {
        while (true)
        {
            var (outcome, _) = await TransactAsync(session, _resyncCommand, null).ConfigureAwait(false);
            if (outcome == Outcome.Completed)
            {
                break;
            }

            _consecutiveTimeouts++;
            if (_consecutiveTimeouts >= _settings.MaxConsecutiveTimeouts)
            {
                _failure = $"no answer to AT ({_consecutiveTimeouts} commands in a row unanswered)";
                _logger.ResyncFailed(_failure);
                return false;
            }
        }

        for (var attempt = 0; attempt < _settings.MaxQuietGapAttempts; attempt++)
        {
            long before;
            lock (_gate)
            {
                before = _staleLines;
            }

            await Task.Delay(_settings.QuietGap, _time, session.Token).ConfigureAwait(false);
            lock (_gate)
            {
                if (_staleLines == before)
                {
                    _logger.Resynchronised();
                    return true;
                }
            }
        }

        _failure = $"stale lines kept arriving through {_settings.MaxQuietGapAttempts} quiet gaps";
        _logger.ResyncFailed(_failure);
        return false;
    }

    private async Task SwallowTrailingOkAsync(CancellationToken token)
    {
        TaskCompletionSource? trailing;
        lock (_gate)
        {
            trailing = _trailingOk;
        }

        if (trailing is null)
        {
            return;
        }

        using var window = CancellationTokenSource.CreateLinkedTokenSource(token);
        var elapsed = Task.Delay(_settings.TrailingOkWindow, _time, window.Token);
        await Task.WhenAny(trailing.Task, elapsed).ConfigureAwait(false);
        await window.CancelAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _trailingOk = null;
        }

        token.ThrowIfCancellationRequested();
    }

    /// <summary>Writes one command (and its data after the prompt) and waits for its end, its abort or its timeout.</summary>
    private async Task<(Outcome Outcome, AtResponse? Response)> TransactAsync(Session session, AtCommand command, Request? request)
    {
        var inFlight = new InFlight(command);
        lock (_gate)
        {
            if (request is not null)
            {
                if (request.IsCompleted)
                {
                    return (Outcome.Skipped, null);
                }

                request.Current = inFlight;
            }

            _inFlight = inFlight;
        }

        var token = session.Token;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
        // The timer starts before the write: the command's time runs from the moment it is on its way.
        var deadline = Task.Delay(command.Timeout ?? _settings.DefaultCommandTimeout, _time, timer.Token);
        try
        {
            await WriteAsync(session, command.Text, '\r', AtTranscriptKind.Command, command.Display).ConfigureAwait(false);
            if (command.DataAfterPrompt is { } data)
            {
                var first = await Task.WhenAny(inFlight.Prompt.Task, inFlight.Done.Task, deadline).ConfigureAwait(false);
                if (first == inFlight.Prompt.Task)
                {
                    lock (_gate)
                    {
                        inFlight.DataSent = true;
                    }

                    var shown = command.IsSensitive ? $"<redacted {data.Length} chars>" : data;
                    await WriteAsync(session, data, AtCommand.DataTerminator, AtTranscriptKind.Data, shown).ConfigureAwait(false);
                }
            }

            var done = await Task.WhenAny(inFlight.Done.Task, deadline).ConfigureAwait(false);
            if (done == inFlight.Done.Task)
            {
                var response = await inFlight.Done.Task.ConfigureAwait(false);
                return response is null ? (Outcome.Aborted, null) : (Outcome.Completed, response);
            }

            token.ThrowIfCancellationRequested();
            return (Outcome.TimedOut, null);
        }
        finally
        {
            await timer.CancelAsync().ConfigureAwait(false);
            lock (_gate)
            {
                if (_inFlight == inFlight)
                {
                    _inFlight = null;
                }

                if (request is not null && request.Current == inFlight)
                {
                    request.Current = null;
                }
            }
        }
    }

    private async ValueTask WriteAsync(Session session, string text, char terminator, AtTranscriptKind kind, string shown)
    {
        Record(AtTranscriptDirection.ToModem, kind, shown);
        _logger.Sent(shown);
        var output = session.Connection.Transport.Output;
        var span = output.GetSpan(text.Length + 1);
        var written = Encoding.ASCII.GetBytes(text, span);
        span[written] = (byte)terminator;
        output.Advance(written + 1);
        var result = await output.FlushAsync(session.Token).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new IOException("the modem port no longer accepts writes");
        }
    }

    private void CancelRequest(Request request)
    {
        if (!request.Completion.TrySetCanceled(request.CancellationToken))
        {
            return;
        }

        InFlight? inFlight;
        lock (_gate)
        {
            inFlight = request.Current;
        }

        inFlight?.Done.TrySetResult(null);
    }

    // ----- Reader loop: framer → router. -----

    private async Task ReadLoopAsync(Session session)
    {
        // Yield so the supervisor proceeds to write while the loop waits for bytes.
        await Task.Yield();
        var input = session.Connection.Transport.Input;
        var state = default(AtFramerState);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(session.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    AtFrameStatus status;
                    while ((status = AtFramer.Read(ref state, ref buffer, out var frame)) != AtFrameStatus.Incomplete)
                    {
                        HandleFrame(status, frame);
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (!buffer.IsEmpty)
                        {
                            ReportFramingError(AtFramingError.TruncatedLine, 0, buffer.Length);
                        }

                        session.Lose(AtChannelBreakReason.PortLost, "the port reached end of stream");
                        return;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (OperationCanceledException) when (session.Token.IsCancellationRequested)
        {
            // Stopping, or the session was lost elsewhere.
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            session.Lose(AtChannelBreakReason.PortLost, exception.Message);
        }
    }

    private void HandleFrame(AtFrameStatus status, in AtFrame frame)
    {
        switch (status)
        {
            case AtFrameStatus.Line:
                HandleLine(Encoding.UTF8.GetString(frame.Line));
                break;
            case AtFrameStatus.Prompt:
                HandlePrompt();
                break;
            case AtFrameStatus.Error:
                ReportFramingError(frame.Error, frame.Column, frame.Length);
                break;
        }
    }

    private void HandlePrompt()
    {
        var expected = false;
        lock (_gate)
        {
            if (_inFlight is { Command.DataAfterPrompt: not null } inFlight && !inFlight.Prompt.Task.IsCompleted)
            {
                inFlight.Prompt.TrySetResult();
                expected = true;
            }
        }

        Record(AtTranscriptDirection.FromModem, AtTranscriptKind.Prompt, "> ");
        if (!expected)
        {
            _logger.StrayPrompt();
        }
    }

    private void ReportFramingError(AtFramingError error, int column, long length)
    {
        Interlocked.Increment(ref _framingErrors);
        _logger.FramingError(error, column, length);
        Record(AtTranscriptDirection.FromModem, AtTranscriptKind.FramingError, $"{error} at byte {column} of {length}", framingError: error);
    }

    private void HandleLine(string line)
    {
        var finals = _settings.FinalResults;
        if (Urcs.IsCollecting)
        {
            if (!finals.TryMatch(line, out _))
            {
                Record(AtTranscriptDirection.FromModem, AtTranscriptKind.Line, line, AtLineRoute.Urc);
                Urcs.Collect(line);
                return;
            }

            Urcs.FlushCollecting();
        }

        AtLineRoute route;
        var shown = line;
        lock (_gate)
        {
            var pending = _inFlight;
            route = AtLineRouter.Route(line, finals, pending?.Command, pending?.DataSent ?? false, _abandoned, Urcs.IsSubscribed, out var final);
            switch (route)
            {
                case AtLineRoute.Final:
                    _inFlight = null;
                    if (final.Code is AtResultCode.CmeError or AtResultCode.CmsError && _settings.CmeErrorTrailingOk)
                    {
                        _trailingOk = NewSignal();
                    }

                    pending!.Done.TrySetResult(new AtResponse(pending.Command, final, line, [.. pending.Lines]));
                    break;
                case AtLineRoute.Response:
                    pending!.Lines.Add(line);
                    if (pending.Command.IsSensitive)
                    {
                        shown = AtCommand.Redact(line);
                    }

                    break;
                case AtLineRoute.Echo:
                    shown = pending!.Command.IsSensitive ? AtCommand.Redact(line) : line;
                    break;
                case AtLineRoute.Stale:
                    if (_abandoned is { IsSensitive: true })
                    {
                        shown = AtCommand.Redact(line);
                    }

                    if (final.Code == AtResultCode.Ok && _trailingOk is { } trailing && finals.TryMatch(line, out _))
                    {
                        // The quirk's OK after +CME ERROR: expected, not stale.
                        _trailingOk = null;
                        trailing.TrySetResult();
                        _logger.TrailingOkSwallowed();
                    }
                    else
                    {
                        _staleLines++;
                        _logger.StaleLine(shown);
                    }

                    break;
            }
        }

        Record(AtTranscriptDirection.FromModem, AtTranscriptKind.Line, shown, route);
        _logger.Received(shown, route);
        if (route == AtLineRoute.Urc)
        {
            Urcs.Dispatch(line, _time.GetUtcNow());
        }
    }

    private void Record(AtTranscriptDirection direction, AtTranscriptKind kind, string text, AtLineRoute? route = null, AtFramingError? framingError = null)
    {
        var transcript = Transcript;
        if (transcript is null)
        {
            return;
        }

        try
        {
            transcript.Record(new AtTranscriptEntry(_time.GetUtcNow(), direction, kind, text, route, framingError));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _logger.StatusHandlerFailed(exception);
        }
    }

    // ----- Status. -----

    private void SetStatus(AtChannelState state, AtChannelBreakReason reason, string? detail)
    {
        AtChannelStatus status;
        TaskCompletionSource changed;
        List<Request>? failed = null;
        lock (_gate)
        {
            if (_status.State == state && _status.Reason == reason && _status.Detail == detail)
            {
                return;
            }

            status = _status = new AtChannelStatus(state, reason, detail, _time.GetUtcNow());
            changed = _statusChanged;
            _statusChanged = NewSignal();
            if (state == AtChannelState.Broken)
            {
                // Under the same lock as SendAsync's check: nothing slips into the queue of a broken channel.
                failed = DrainQueue();
            }
        }

        if (failed is not null)
        {
            foreach (var request in failed)
            {
                request.Complete(AtResponse.Synthetic(request.Command, AtResultCode.ChannelUnavailable));
            }
        }

        changed.TrySetResult();
        _logger.ChannelStatus(_port.Name, status);
        try
        {
            StatusChanged?.Invoke(status);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _logger.StatusHandlerFailed(exception);
        }
    }

    private void FailQueued()
    {
        List<Request> failed;
        lock (_gate)
        {
            failed = DrainQueue();
        }

        foreach (var request in failed)
        {
            request.Complete(AtResponse.Synthetic(request.Command, AtResultCode.ChannelUnavailable));
        }
    }

    private List<Request> DrainQueue()
    {
        var drained = new List<Request>();
        while (_queue.Reader.TryRead(out var request))
        {
            drained.Add(request);
        }

        return drained;
    }

    private static bool IsPortFailure(Exception exception)
        => exception is IOException or ObjectDisposedException or SocketException or UnauthorizedAccessException or InvalidOperationException;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum Outcome
    {
        Completed,
        TimedOut,
        Aborted,
        Skipped,
    }

    private sealed class Request(AtCommand command, CancellationToken cancellationToken)
    {
        public AtCommand Command { get; } = command;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<AtResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Guarded by the channel's gate.</summary>
        public InFlight? Current { get; set; }

        public bool IsCompleted => Completion.Task.IsCompleted;

        public void Complete(AtResponse response)
        {
            if (Completion.TrySetResult(response))
            {
                Registration.Dispose();
            }
        }
    }

    private sealed class InFlight(AtCommand command)
    {
        public AtCommand Command { get; } = command;

        /// <summary>Guarded by the channel's gate.</summary>
        public List<string> Lines { get; } = [];

        /// <summary>Guarded by the channel's gate.</summary>
        public bool DataSent { get; set; }

        public TaskCompletionSource Prompt { get; } = NewSignal();

        /// <summary>The answer, or null when the caller cancelled.</summary>
        public TaskCompletionSource<AtResponse?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Session : IDisposable
    {
        private readonly CancellationTokenSource _lost;
        private readonly CancellationTokenRegistration _edgeRegistration;
        private readonly Lock _gate = new();

        public Session(ModemConnection connection, CancellationToken stopping)
        {
            Connection = connection;
            _lost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            _edgeRegistration = connection.ConnectionLost.Register(
                static state =>
                {
                    var session = (Session)state!;
                    session.Lose(AtChannelBreakReason.PortLost, session.Connection.LostReason ?? "device gone");
                },
                this);
        }

        public ModemConnection Connection { get; }

        public CancellationToken Token => _lost.Token;

        public AtChannelBreakReason Reason { get; private set; } = AtChannelBreakReason.PortLost;

        public string Detail { get; private set; } = "closed";

        private bool _decided;

        /// <summary>The first reason wins; cancels everything waiting on this session.</summary>
        public void Lose(AtChannelBreakReason reason, string detail)
        {
            lock (_gate)
            {
                if (!_decided)
                {
                    _decided = true;
                    Reason = reason;
                    Detail = detail;
                }
            }

            try
            {
                _lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already torn down.
            }
        }

        public void Dispose()
        {
            _edgeRegistration.Dispose();
            _lost.Dispose();
        }
    }
}
