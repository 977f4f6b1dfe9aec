// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Store;

namespace ImUeAgent.Im.Tests.Store;

public sealed class MessageStoreInboxTests : IDisposable
{
    private readonly StoreTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_field_round_trips()
    {
        await using MessageStore store = await _context.OpenAsync();
        var message = new NewInboxMessage
        {
            Source = MessageSource.DeferredPush,
            Direction = MessageDirection.Outgoing,
            SenderUri = "sip:user1@imserver.com",
            SenderDisplayName = "User One",
            Recipients = ["sip:user2@imserver.com", "tel:+15551234567"],
            ConversationId = "conv-1",
            CallId = "asd88asd77a@1.2.3.4",
            MessageId = "imdn-77",
            ReceivedAt = StoreTestContext.Start.AddSeconds(5),
            OriginalDate = new DateTimeOffset(2002, 2, 21, 13, 2, 3, TimeSpan.Zero),
            ContentType = "text/plain;charset=UTF-8",
            Body = new byte[] { 0, 1, 2, 0xFF, 0 },
            ImdnRequested = ImdnDispositions.PositiveDelivery | ImdnDispositions.Display,
            Identities = [InboxIdentity.ForSipRequest("asd88asd77a@1.2.3.4", 1), InboxIdentity.ForImdnMessageId("sip:user1@imserver.com", "imdn-77")],
            ApplicationId = "chat-app",
        };

        InboxInsertResult result = await store.InsertInboxAsync(message, Ct);
        InboxMessage? stored = await store.GetInboxMessageAsync(result.Id, Ct);

        Assert.True(result.IsNew);
        Assert.NotNull(stored);
        Assert.Equal(MessageSource.DeferredPush, stored.Source);
        Assert.Equal(MessageDirection.Outgoing, stored.Direction);
        Assert.Equal("sip:user1@imserver.com", stored.SenderUri);
        Assert.Equal("User One", stored.SenderDisplayName);
        Assert.Equal(["sip:user2@imserver.com", "tel:+15551234567"], stored.Recipients);
        Assert.Equal("conv-1", stored.ConversationId);
        Assert.Equal("asd88asd77a@1.2.3.4", stored.CallId);
        Assert.Equal("imdn-77", stored.MessageId);
        Assert.Equal(message.ReceivedAt, stored.ReceivedAt);
        Assert.Equal(message.OriginalDate, stored.OriginalDate);
        Assert.Equal("text/plain;charset=UTF-8", stored.ContentType);
        Assert.Equal(new byte[] { 0, 1, 2, 0xFF, 0 }, stored.Body.ToArray());
        Assert.Equal(ImdnDispositions.PositiveDelivery | ImdnDispositions.Display, stored.ImdnRequested);
        Assert.Equal(ImdnDispositions.None, stored.ImdnSent);
        Assert.Null(stored.RawPart);
        Assert.False(stored.IsUnparsed);
        Assert.Null(stored.AcknowledgedAt);
        Assert.Equal("chat-app", stored.ApplicationId);
        Assert.Equal(2, (await store.GetInboxIdentitiesAsync(result.Id, Ct)).Count);
    }

    [Fact]
    public async Task Application_id_is_stored_by_single_and_batch_insert_and_filters_the_undelivered_list()
    {
        await using MessageStore store = await _context.OpenAsync();
        long a = (await store.InsertInboxAsync(StoreTestContext.Pager("a@1") with { ApplicationId = "app-a" }, Ct)).Id;
        IReadOnlyList<InboxInsertResult> batch = await store.InsertInboxBatchAsync(
        [
            StoreTestContext.Pager("b@1") with { ApplicationId = "app-b" },
            StoreTestContext.Pager("c@1") with { ApplicationId = "app-a" },
            StoreTestContext.Pager("d@1"),
            StoreTestContext.Pager("e@1") with { ApplicationId = string.Empty },
        ], Ct);
        long b = batch[0].Id, c = batch[1].Id, d = batch[2].Id, e = batch[3].Id;

        Assert.Equal(["app-a", "app-b", "app-a", null, null], (await store.ListUndeliveredAsync(cancellationToken: Ct)).Select(m => m.ApplicationId));
        Assert.Equal([a, c], (await store.ListUndeliveredAsync(0, 100, "app-a", Ct)).Select(m => m.Id));
        Assert.Equal([b], (await store.ListUndeliveredAsync(0, 100, "app-b", Ct)).Select(m => m.Id));
        Assert.Equal([c], (await store.ListUndeliveredAsync(a, 100, "app-a", Ct)).Select(m => m.Id));
        Assert.Equal([a], (await store.ListUndeliveredAsync(0, 1, "app-a", Ct)).Select(m => m.Id));
        Assert.Empty(await store.ListUndeliveredAsync(0, 100, "APP-A", Ct));
        Assert.Equal([a, b, c, d, e], (await store.ListUndeliveredAsync(0, 100, null, Ct)).Select(m => m.Id));

        await store.AcknowledgeAsync(a, Ct);
        Assert.Equal([c], (await store.ListUndeliveredAsync(0, 100, "app-a", Ct)).Select(m => m.Id));

        // A duplicate keeps the first copy's application: the routing offered to applications does not change.
        InboxInsertResult again = await store.InsertInboxAsync(StoreTestContext.Pager("b@1") with { ApplicationId = "app-a" }, Ct);
        Assert.Equal((InboxInsertOutcome.Duplicate, b), (again.Outcome, again.Id));
        Assert.Equal("app-b", (await store.GetInboxMessageAsync(b, Ct))!.ApplicationId);
    }

    [Theory]
    [InlineData("line\nbreak", MessageStoreErrorReason.FieldHasControlCharacter)]
    [InlineData("long", MessageStoreErrorReason.FieldTooLong)]
    public async Task Bad_application_id_is_refused_naming_the_field(string value, MessageStoreErrorReason reason)
    {
        await using MessageStore store = await _context.OpenAsync();
        string id = value == "long" ? new string('a', 257) : value;

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => store.InsertInboxAsync(StoreTestContext.Pager("bad@1") with { ApplicationId = id }, Ct));

        Assert.Equal(reason, error.Reason);
        Assert.Contains("application id", error.Message, StringComparison.Ordinal);
        Assert.Empty(await store.ListUndeliveredAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Empty_body_and_no_recipients_round_trip_as_empty()
    {
        await using MessageStore store = await _context.OpenAsync();
        InboxInsertResult result = await store.InsertInboxAsync(StoreTestContext.Pager("empty@1", body: "") with { Recipients = [] }, Ct);

        InboxMessage? stored = await store.GetInboxMessageAsync(result.Id, Ct);

        Assert.Equal(0, stored!.Body.Length);
        Assert.Empty(stored.Recipients);
    }

    [Fact]
    public async Task Unparseable_pushed_part_is_kept_raw_with_its_reason()
    {
        await using MessageStore store = await _context.OpenAsync();
        byte[] raw = Encoding.ASCII.GetBytes("Content-Type: message/sip\r\n\r\nGARBAGE \x01\x02 not sip");
        var part = new NewInboxMessage
        {
            Source = MessageSource.DeferredPush,
            ReceivedAt = StoreTestContext.Start,
            ContentType = "message/sip",
            RawPart = raw,
            UnparsedReason = "SipStartLineInvalid at byte 0",
            Identities = [InboxIdentity.ForRawContent(raw)],
        };

        InboxInsertResult first = await store.InsertInboxAsync(part, Ct);
        InboxInsertResult again = await store.InsertInboxAsync(part, Ct);
        InboxMessage? stored = await store.GetInboxMessageAsync(first.Id, Ct);

        Assert.True(stored!.IsUnparsed);
        Assert.Null(stored.SenderUri);
        Assert.Equal(raw, stored.RawPart!.Value.ToArray());
        Assert.Equal("SipStartLineInvalid at byte 0", stored.UnparsedReason);
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.Duplicate, first.Id), again);
    }

    [Fact]
    public async Task Repushed_deferred_message_with_the_same_call_id_and_cseq_is_recognised()
    {
        await using MessageStore store = await _context.OpenAsync();
        InboxInsertResult live = await store.InsertInboxAsync(StoreTestContext.Pager("asd88asd77a@1.2.3.4"), Ct);

        // Appendix D.2: the push keeps the Call-ID; it arrives in a new MSRP session with a Date header.
        InboxInsertResult pushed = await store.InsertInboxAsync(StoreTestContext.Pager("asd88asd77a@1.2.3.4") with
        {
            Source = MessageSource.DeferredPush,
            OriginalDate = StoreTestContext.Start.AddHours(-1),
        }, Ct);

        Assert.Equal(InboxInsertOutcome.Inserted, live.Outcome);
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.Duplicate, live.Id), pushed);
        Assert.Single(await store.ListUndeliveredAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Same_call_id_with_another_cseq_is_another_message()
    {
        await using MessageStore store = await _context.OpenAsync();
        InboxInsertResult first = await store.InsertInboxAsync(StoreTestContext.Pager("dialog@1", cseq: 1), Ct);
        InboxInsertResult second = await store.InsertInboxAsync(StoreTestContext.Pager("dialog@1", cseq: 2), Ct);

        Assert.True(first.IsNew);
        Assert.True(second.IsNew);
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task Imdn_message_id_is_scoped_by_sender()
    {
        await using MessageStore store = await _context.OpenAsync();
        NewInboxMessage FromSender(string sender, string callId) => StoreTestContext.Pager(callId) with
        {
            SenderUri = sender,
            Identities = [InboxIdentity.ForImdnMessageId(sender, "same-id"), InboxIdentity.ForSipRequest(callId, 1)],
        };

        InboxInsertResult alice = await store.InsertInboxAsync(FromSender("sip:alice@x", "c1@x"), Ct);
        InboxInsertResult bob = await store.InsertInboxAsync(FromSender("sip:bob@x", "c2@x"), Ct);
        InboxInsertResult aliceAgain = await store.InsertInboxAsync(FromSender("sip:alice@x", "c3@x"), Ct);

        Assert.True(alice.IsNew);
        Assert.True(bob.IsNew);
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.Duplicate, alice.Id), aliceAgain);
    }

    [Fact]
    public async Task Identities_a_duplicate_adds_are_learned_for_later_copies()
    {
        await using MessageStore store = await _context.OpenAsync();
        // Live pager copy: Call-ID + CSeq only.
        InboxInsertResult live = await store.InsertInboxAsync(StoreTestContext.Pager("c@1"), Ct);
        // Deferred copy: same Call-ID + CSeq, plus the IM Server's Message-ID (12.2.2.3 item 4).
        InboxInsertResult pushed = await store.InsertInboxAsync(StoreTestContext.Pager("c@1") with
        {
            Identities = [InboxIdentity.ForSipRequest("c@1", 1), InboxIdentity.ForServerMessageId("sip:x7@imserver.com")],
        }, Ct);
        // A later copy carrying only the server's Message-ID.
        InboxInsertResult serverOnly = await store.InsertInboxAsync(StoreTestContext.Pager("other@1") with
        {
            Identities = [InboxIdentity.ForServerMessageId("sip:x7@imserver.com")],
        }, Ct);

        Assert.Equal(live.Id, pushed.Id);
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.Duplicate, live.Id), serverOnly);
        Assert.Equal(2, (await store.GetInboxIdentitiesAsync(live.Id, Ct)).Count);
    }

    [Fact]
    public async Task Batch_commits_all_parts_and_reports_a_part_repeated_inside_the_batch()
    {
        await using MessageStore store = await _context.OpenAsync();
        InboxInsertResult earlier = await store.InsertInboxAsync(StoreTestContext.Pager("old@1"), Ct);
        NewInboxMessage[] push =
        [
            StoreTestContext.Pager("p1@1") with { Source = MessageSource.DeferredPush },
            StoreTestContext.Pager("old@1") with { Source = MessageSource.DeferredPush },
            StoreTestContext.Pager("p2@1") with { Source = MessageSource.DeferredPush },
            StoreTestContext.Pager("p1@1") with { Source = MessageSource.DeferredPush },
        ];

        IReadOnlyList<InboxInsertResult> results = await store.InsertInboxBatchAsync(push, Ct);

        Assert.Equal(InboxInsertOutcome.Inserted, results[0].Outcome);
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.Duplicate, earlier.Id), results[1]);
        Assert.Equal(InboxInsertOutcome.Inserted, results[2].Outcome);
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.Duplicate, results[0].Id), results[3]);
        Assert.Equal(3, _context.RawScalar("SELECT count(*) FROM inbox"));
    }

    [Fact]
    public async Task Batch_failing_in_the_database_midway_commits_nothing()
    {
        await using (MessageStore setup = await _context.OpenAsync())
        {
        }

        // A trigger makes the third part fail inside SQLite, after two parts were written in the transaction.
        _context.RawExecute("CREATE TRIGGER fail_third BEFORE INSERT ON inbox WHEN NEW.call_id = 'boom@1' BEGIN SELECT RAISE(ABORT, 'injected'); END;");
        await using MessageStore store = await _context.OpenAsync();
        NewInboxMessage[] push = [StoreTestContext.Pager("p1@1"), StoreTestContext.Pager("p2@1"), StoreTestContext.Pager("boom@1")];

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => store.InsertInboxBatchAsync(push, Ct));

        Assert.Equal(MessageStoreErrorReason.IoError, error.Reason);
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM inbox"));
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM inbox_identity"));
        // The writer is usable again: the failed transaction was rolled back, not left open.
        Assert.True((await store.InsertInboxBatchAsync(push[..2], Ct)).All(r => r.IsNew));
    }

    [Fact]
    public async Task Invalid_part_rejects_the_whole_batch_before_writing()
    {
        await using MessageStore store = await _context.OpenAsync();
        NewInboxMessage[] push = [StoreTestContext.Pager("p1@1"), StoreTestContext.Pager("p2@1") with { SenderUri = "sip:a@b\r\nX: y" }];

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => store.InsertInboxBatchAsync(push, Ct));

        Assert.Equal(MessageStoreErrorReason.FieldHasControlCharacter, error.Reason);
        Assert.Contains("Inbox message 1 sender URI", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM inbox"));
    }

    public static TheoryData<string, MessageStoreErrorReason> InvalidMessages => new()
    {
        { "no-identity", MessageStoreErrorReason.NoIdentity },
        { "default-identity", MessageStoreErrorReason.FieldEmpty },
        { "long-call-id", MessageStoreErrorReason.FieldTooLong },
        { "nul-in-recipient", MessageStoreErrorReason.FieldHasControlCharacter },
        { "empty-content-type", MessageStoreErrorReason.FieldEmpty },
        { "big-body", MessageStoreErrorReason.BodyTooLarge },
        { "reason-without-raw", MessageStoreErrorReason.FieldEmpty },
        { "raw-without-reason", MessageStoreErrorReason.FieldEmpty },
        { "no-sender", MessageStoreErrorReason.FieldEmpty },
        { "too-many-recipients", MessageStoreErrorReason.TooManyItems },
        { "too-many-identities", MessageStoreErrorReason.TooManyItems },
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public async Task Invalid_message_is_refused_with_its_reason(string kind, MessageStoreErrorReason expected)
    {
        _context.Settings = _context.Settings with { MaxBodyBytes = 1024, MaxRecipients = 3 };
        await using MessageStore store = await _context.OpenAsync();
        NewInboxMessage valid = StoreTestContext.Pager("v@1");
        NewInboxMessage message = kind switch
        {
            "no-identity" => valid with { Identities = [] },
            "default-identity" => valid with { Identities = [default] },
            "long-call-id" => valid with { CallId = new string('c', 1025) },
            "nul-in-recipient" => valid with { Recipients = ["sip:a@b\0"] },
            "empty-content-type" => valid with { ContentType = "" },
            "big-body" => valid with { Body = new byte[1025] },
            "reason-without-raw" => valid with { UnparsedReason = "x" },
            "raw-without-reason" => valid with { RawPart = new byte[3] },
            "no-sender" => valid with { SenderUri = null },
            "too-many-recipients" => valid with { Recipients = ["sip:a@b", "sip:c@d", "sip:e@f", "sip:g@h"] },
            "too-many-identities" => valid with { Identities = [.. Enumerable.Range(0, 17).Select(i => InboxIdentity.ForSipRequest("v@1", (uint)i))] },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => store.InsertInboxAsync(message, Ct));

        Assert.Equal(expected, error.Reason);
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM inbox"));
    }

    [Fact]
    public async Task Acknowledged_messages_are_not_offered_again_and_acknowledge_is_idempotent()
    {
        await using MessageStore store = await _context.OpenAsync();
        long a = (await store.InsertInboxAsync(StoreTestContext.Pager("a@1"), Ct)).Id;
        long b = (await store.InsertInboxAsync(StoreTestContext.Pager("b@1"), Ct)).Id;
        long c = (await store.InsertInboxAsync(StoreTestContext.Pager("c@1"), Ct)).Id;
        _context.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(InboxAcknowledgeOutcome.Acknowledged, await store.AcknowledgeAsync(b, Ct));
        Assert.Equal(InboxAcknowledgeOutcome.AlreadyAcknowledged, await store.AcknowledgeAsync(b, Ct));
        Assert.Equal(InboxAcknowledgeOutcome.NotFound, await store.AcknowledgeAsync(999, Ct));

        Assert.Equal([a, c], (await store.ListUndeliveredAsync(cancellationToken: Ct)).Select(m => m.Id));
        Assert.Equal([c], (await store.ListUndeliveredAsync(afterId: a, cancellationToken: Ct)).Select(m => m.Id));
        Assert.Equal([a], (await store.ListUndeliveredAsync(limit: 1, cancellationToken: Ct)).Select(m => m.Id));
        Assert.Equal(StoreTestContext.Start.AddSeconds(3), (await store.GetInboxMessageAsync(b, Ct))!.AcknowledgedAt);
    }

    [Fact]
    public async Task Unacknowledged_messages_are_offered_again_after_reopening()
    {
        long a, b;
        await using (MessageStore store = await _context.OpenAsync())
        {
            a = (await store.InsertInboxAsync(StoreTestContext.Pager("a@1"), Ct)).Id;
            b = (await store.InsertInboxAsync(StoreTestContext.Pager("b@1"), Ct)).Id;
            await store.AcknowledgeAsync(a, Ct);
        }

        await using MessageStore reopened = await _context.OpenAsync();
        Assert.Equal([b], (await reopened.ListUndeliveredAsync(cancellationToken: Ct)).Select(m => m.Id));
        // A re-push after the restart is still a duplicate: offered at least once, stored once.
        Assert.Equal(InboxInsertOutcome.Duplicate, (await reopened.InsertInboxAsync(StoreTestContext.Pager("b@1"), Ct)).Outcome);
    }

    [Fact]
    public async Task Imdn_sent_bits_accumulate()
    {
        await using MessageStore store = await _context.OpenAsync();
        long id = (await store.InsertInboxAsync(StoreTestContext.Pager("a@1"), Ct)).Id;

        Assert.True(await store.MarkImdnSentAsync(id, ImdnDispositions.PositiveDelivery, Ct));
        Assert.True(await store.MarkImdnSentAsync(id, ImdnDispositions.Display, Ct));
        Assert.False(await store.MarkImdnSentAsync(id + 100, ImdnDispositions.Display, Ct));

        Assert.Equal(ImdnDispositions.PositiveDelivery | ImdnDispositions.Display, (await store.GetInboxMessageAsync(id, Ct))!.ImdnSent);
    }

    [Fact]
    public async Task Purged_message_is_still_recognised_when_pushed_again_and_ids_are_not_reused()
    {
        await using MessageStore store = await _context.OpenAsync();
        long old = (await store.InsertInboxAsync(StoreTestContext.Pager("old@1"), Ct)).Id;
        long kept = (await store.InsertInboxAsync(StoreTestContext.Pager("unacked@1"), Ct)).Id;
        await store.AcknowledgeAsync(old, Ct);
        _context.Time.Advance(TimeSpan.FromDays(31));
        long recent = (await store.InsertInboxAsync(StoreTestContext.Pager("recent@1"), Ct)).Id;
        await store.AcknowledgeAsync(recent, Ct);

        int purged = await store.PurgeInboxAsync(_context.Time.GetUtcNow().AddDays(-30), Ct);

        Assert.Equal(1, purged);
        Assert.Null(await store.GetInboxMessageAsync(old, Ct));
        Assert.NotNull(await store.GetInboxMessageAsync(kept, Ct));
        Assert.NotNull(await store.GetInboxMessageAsync(recent, Ct));
        Assert.Equal(new InboxInsertResult(InboxInsertOutcome.DuplicateOfPurged, 0), await store.InsertInboxAsync(StoreTestContext.Pager("old@1"), Ct));
        // AUTOINCREMENT: a deleted id is never handed out again, so an application never confuses two messages.
        await store.PurgeInboxAsync(_context.Time.GetUtcNow().AddDays(1), Ct);
        Assert.True((await store.InsertInboxAsync(StoreTestContext.Pager("new@1"), Ct)).Id > recent);
    }

    [Fact]
    public async Task Logs_carry_ids_and_sizes_never_bodies()
    {
        await using MessageStore store = await _context.OpenAsync();
        InboxInsertResult result = await store.InsertInboxAsync(StoreTestContext.Pager("a@1", body: "PRIVATE-WORDS-123"), Ct);
        await store.InsertInboxAsync(StoreTestContext.Pager("a@1", body: "PRIVATE-WORDS-123"), Ct);
        await store.EnqueueAsync(StoreTestContext.Outgoing("OUTGOING-SECRET-456"), Ct);

        string all = _context.Logger.All;
        Assert.Contains($"Inbox {result.Id} committed", all, StringComparison.Ordinal);
        Assert.Contains("17 bytes", all, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE-WORDS", all, StringComparison.Ordinal);
        Assert.DoesNotContain("OUTGOING-SECRET", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_inserts_are_serialised_and_all_committed()
    {
        await using MessageStore store = await _context.OpenAsync();

        InboxInsertResult[] results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => store.InsertInboxAsync(StoreTestContext.Pager($"c{i % 20}@1"), Ct), Ct)));

        Assert.Equal(20, results.Count(r => r.IsNew));
        Assert.Equal(20, results.Count(r => r.Outcome == InboxInsertOutcome.Duplicate));
        Assert.Equal(20, (await store.ListUndeliveredAsync(cancellationToken: Ct)).Count);
    }
}
