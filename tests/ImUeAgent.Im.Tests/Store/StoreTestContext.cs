// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Text;
using ImUeAgent.Im.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Im.Tests.Store;

/// <summary>A private temporary directory, a fake clock and a capturing logger for one test.</summary>
internal sealed class StoreTestContext : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public StoreTestContext()
    {
        Directory = Path.Combine(Path.GetTempPath(), "imue-store-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        DatabasePath = Path.Combine(Directory, "messages.db");
        Settings = new MessageStoreSettings { DatabasePath = DatabasePath };
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public MessageStoreSettings Settings { get; set; }

    public FakeTimeProvider Time { get; } = new(Start);

    public CapturingLogger Logger { get; } = new();

    public Task<MessageStore> OpenAsync() => MessageStore.OpenAsync(Settings, Logger, Time, TestContext.Current.CancellationToken);

    /// <summary>An independent connection to the same file, not going through the store (its own file handle).</summary>
    public SqliteConnection OpenRaw(SqliteOpenMode mode = SqliteOpenMode.ReadOnly)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = mode,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public long RawScalar(string sql)
    {
        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : -1;
    }

    public void RawExecute(string sql)
    {
        using var connection = OpenRaw(SqliteOpenMode.ReadWrite);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static NewInboxMessage Pager(string callId, uint cseq = 1, string body = "Watson, come here.", string? imdnId = null)
    {
        var identities = new List<InboxIdentity> { InboxIdentity.ForSipRequest(callId, cseq) };
        if (imdnId is not null)
        {
            identities.Add(InboxIdentity.ForImdnMessageId("sip:user1@imserver.com", imdnId));
        }

        return new NewInboxMessage
        {
            Source = MessageSource.Pager,
            SenderUri = "sip:user1@imserver.com",
            Recipients = ["sip:user2@imserver.com"],
            CallId = callId,
            MessageId = imdnId,
            ReceivedAt = Start,
            ContentType = "text/plain",
            Body = Encoding.UTF8.GetBytes(body),
            Identities = identities,
        };
    }

    public static NewOutboxMessage Outgoing(string body = "Hi, Alice!", string? applicationRef = null, params string[] recipients) => new()
    {
        ApplicationRef = applicationRef,
        Recipients = recipients.Length == 0 ? ["sip:alice@example.com"] : recipients,
        FeatureTags = ["+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.test\";explicit;require"],
        ContentType = "text/plain",
        Body = Encoding.UTF8.GetBytes(body),
        ImdnRequested = ImdnDispositions.PositiveDelivery | ImdnDispositions.Display,
    };
}

/// <summary>Keeps every formatted log line so tests can check what is (not) logged.</summary>
internal sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public string All => string.Join('\n', Entries.Select(e => e.Message));
}
