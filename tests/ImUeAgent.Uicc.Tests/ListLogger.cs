// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Uicc.Tests;

/// <summary>Keeps every formatted log line (with exception text) so tests can check what reached the log.</summary>
internal sealed class ListLogger : ILogger
{
    public List<string> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
        {
            Lines.Add($"{logLevel} {formatter(state, exception)} {exception}");
        }
    }

    public string All
    {
        get
        {
            lock (Lines)
            {
                return string.Join('\n', Lines);
            }
        }
    }
}
