// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Store;

namespace ImUeAgent.Im.Tests.Store;

public sealed class MessageStoreOutboxTests : IDisposable
{
    private readonly StoreTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Enqueued_message_round_trips_with_a_generated_message_id()
    {
        await using MessageStore store = await _context.OpenAsync();
        NewOutboxMessage message = StoreTestContext.Outgoing("Hi", null, "sip:a@x", "sip:b@x") with { ModeHint = DeliveryModeHint.LargeMessage };

        OutboxEnqueueResult result = await store.EnqueueAsync(message, Ct);
        OutboxMessage? stored = await store.GetOutboxMessageAsync(result.Id, Ct);

        Assert.True(result.IsNew);
        Assert.Equal(22, result.MessageId.Length);
        Assert.NotNull(stored);
        Assert.Equal(result.MessageId, stored.MessageId);
        Assert.Equal(["sip:a@x", "sip:b@x"], stored.Recipients);
        Assert.Equal(message.FeatureTags, stored.FeatureTags);
        Assert.Equal("text/plain", stored.ContentType);
        Assert.Equal("Hi"u8.ToArray(), stored.Body.ToArray());
        Assert.Equal(ImdnDispositions.PositiveDelivery | ImdnDispositions.Display, stored.ImdnRequested);
        Assert.Equal(DeliveryModeHint.LargeMessage, stored.ModeHint);
        Assert.Equal(OutboxState.Queued, stored.State);
        Assert.Equal(0, stored.Attempts);
        Assert.Equal(StoreTestContext.Start, stored.NextAttemptAt);
        Assert.Equal(StoreTestContext.Start, stored.CreatedAt);
    }

    [Fact]
    public async Task Same_application_ref_returns_the_stored_message_instead_of_a_second()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult first = await store.EnqueueAsync(StoreTestContext.Outgoing("one", "app-42"), Ct);
        OutboxEnqueueResult retried = await store.EnqueueAsync(StoreTestContext.Outgoing("one", "app-42"), Ct);
        OutboxEnqueueResult other = await store.EnqueueAsync(StoreTestContext.Outgoing("two", "app-43"), Ct);

        Assert.Equal(first with { IsNew = false }, retried);
        Assert.True(other.IsNew);
        Assert.Equal(2, _context.RawScalar("SELECT count(*) FROM outbox"));
    }

    [Fact]
    public async Task Explicit_message_id_in_use_is_refused()
    {
        await using MessageStore store = await _context.OpenAsync();
        await store.EnqueueAsync(StoreTestContext.Outgoing() with { MessageId = "m-1" }, Ct);

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => store.EnqueueAsync(StoreTestContext.Outgoing() with { MessageId = "m-1" }, Ct));

        Assert.Equal(MessageStoreErrorReason.MessageIdConflict, error.Reason);
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM outbox"));
    }

    [Theory]
    [InlineData("no-recipient", MessageStoreErrorReason.FieldEmpty)]
    [InlineData("lf-in-tag", MessageStoreErrorReason.FieldHasControlCharacter)]
    [InlineData("too-many-tags", MessageStoreErrorReason.TooManyItems)]
    [InlineData("big-body", MessageStoreErrorReason.BodyTooLarge)]
    public async Task Invalid_outgoing_message_is_refused(string kind, MessageStoreErrorReason expected)
    {
        _context.Settings = _context.Settings with { MaxBodyBytes = 10 };
        await using MessageStore store = await _context.OpenAsync();
        NewOutboxMessage message = kind switch
        {
            "no-recipient" => StoreTestContext.Outgoing("x") with { Recipients = [] },
            "lf-in-tag" => StoreTestContext.Outgoing("x") with { FeatureTags = ["+g.oma.sip-im\n"] },
            "too-many-tags" => StoreTestContext.Outgoing("x") with { FeatureTags = [.. Enumerable.Repeat("+g.oma.sip-im", 33)] },
            _ => StoreTestContext.Outgoing("eleven byte"),
        };

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => store.EnqueueAsync(message, Ct));

        Assert.Equal(expected, error.Reason);
    }

    [Fact]
    public async Task Claim_takes_due_messages_oldest_first_and_counts_attempts()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult later = await store.EnqueueAsync(StoreTestContext.Outgoing("later") with { NotBefore = StoreTestContext.Start.AddMinutes(5) }, Ct);
        OutboxEnqueueResult first = await store.EnqueueAsync(StoreTestContext.Outgoing("first"), Ct);
        OutboxEnqueueResult second = await store.EnqueueAsync(StoreTestContext.Outgoing("second"), Ct);
        DateTimeOffset now = _context.Time.GetUtcNow();

        OutboxMessage? a = await store.ClaimNextDueAsync(now, Ct);
        OutboxMessage? b = await store.ClaimNextDueAsync(now, Ct);
        OutboxMessage? none = await store.ClaimNextDueAsync(now, Ct);

        Assert.Equal(first.Id, a!.Id);
        Assert.Equal(OutboxState.Sending, a.State);
        Assert.Equal(1, a.Attempts);
        Assert.Equal(second.Id, b!.Id);
        Assert.Null(none);
        Assert.Equal(StoreTestContext.Start.AddMinutes(5), await store.GetNextDueTimeAsync(Ct));
        Assert.Equal(later.Id, (await store.ClaimNextDueAsync(now.AddMinutes(5), Ct))!.Id);
        Assert.Null(await store.GetNextDueTimeAsync(Ct));
        Assert.Equal(OutboxState.Sending, (await store.GetOutboxMessageAsync(first.Id, Ct))!.State);
    }

    [Fact]
    public async Task Retry_requeues_at_the_given_time_with_the_same_message_id()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult queued = await store.EnqueueAsync(StoreTestContext.Outgoing(), Ct);
        DateTimeOffset now = _context.Time.GetUtcNow();
        await store.ClaimNextDueAsync(now, Ct);

        Assert.Equal(OutboxState.Queued, await store.ScheduleRetryAsync(queued.Id, now.AddSeconds(30), 503, Ct));
        Assert.Null(await store.ClaimNextDueAsync(now.AddSeconds(29), Ct));
        OutboxMessage? again = await store.ClaimNextDueAsync(now.AddSeconds(30), Ct);

        Assert.Equal(queued.MessageId, again!.MessageId);
        Assert.Equal(2, again.Attempts);
        Assert.Equal(503, again.StatusCode);
    }

    [Fact]
    public async Task Sent_then_delivered_then_displayed_emits_the_delivery_stream_in_order()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult queued = await store.EnqueueAsync(StoreTestContext.Outgoing(), Ct);
        await store.ClaimNextDueAsync(_context.Time.GetUtcNow(), Ct);
        _context.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(OutboxState.Sent, await store.MarkSentAsync(queued.Id, Ct));
        DateTimeOffset deliveredAt = _context.Time.GetUtcNow().AddSeconds(2);

        Assert.Equal(DispositionOutcome.StateAdvanced, await store.RecordDispositionAsync(queued.MessageId, "sip:alice@example.com", OutboxDisposition.Delivered, deliveredAt, Ct));
        Assert.Equal(DispositionOutcome.Duplicate, await store.RecordDispositionAsync(queued.MessageId, "sip:alice@example.com", OutboxDisposition.Delivered, deliveredAt, Ct));
        Assert.Equal(DispositionOutcome.StateAdvanced, await store.RecordDispositionAsync(queued.MessageId, "sip:alice@example.com", OutboxDisposition.Displayed, deliveredAt.AddSeconds(5), Ct));
        Assert.Equal(DispositionOutcome.UnknownMessageId, await store.RecordDispositionAsync("nope", null, OutboxDisposition.Delivered, deliveredAt, Ct));

        IReadOnlyList<OutboxEvent> events = await store.ReadOutboxEventsAsync(cancellationToken: Ct);
        Assert.Equal([OutboxState.Queued, OutboxState.Sending, OutboxState.Sent, OutboxState.Delivered, OutboxState.Displayed], events.Select(e => e.State));
        Assert.All(events, e => Assert.Equal(queued.MessageId, e.MessageId));
        Assert.Equal(OutboxDisposition.Delivered, events[3].Disposition);
        Assert.Equal("sip:alice@example.com", events[3].Recipient);
        Assert.Equal(deliveredAt, events[3].At);
        Assert.Equal(StoreTestContext.Start.AddSeconds(1), events[2].At);
        Assert.Equal(events.Skip(3).Select(e => e.Sequence), (await store.ReadOutboxEventsAsync(events[2].Sequence, cancellationToken: Ct)).Select(e => e.Sequence));
        Assert.Equal(OutboxState.Displayed, (await store.GetOutboxMessageAsync(queued.Id, Ct))!.State);
    }

    [Fact]
    public async Task Imdn_overtaking_the_2xx_is_kept_and_a_later_retry_does_not_resend()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult queued = await store.EnqueueAsync(StoreTestContext.Outgoing(), Ct);
        await store.ClaimNextDueAsync(_context.Time.GetUtcNow(), Ct);

        await store.RecordDispositionAsync(queued.MessageId, "sip:alice@example.com", OutboxDisposition.Delivered, _context.Time.GetUtcNow(), Ct);

        Assert.Equal(OutboxState.Delivered, await store.MarkSentAsync(queued.Id, Ct));
        Assert.Equal(OutboxState.Delivered, await store.ScheduleRetryAsync(queued.Id, _context.Time.GetUtcNow(), null, Ct));
        Assert.Null(await store.ClaimNextDueAsync(_context.Time.GetUtcNow().AddDays(1), Ct));
    }

    [Fact]
    public async Task Negative_imdn_fails_a_one_recipient_message_but_only_records_for_a_group()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult single = await store.EnqueueAsync(StoreTestContext.Outgoing("s"), Ct);
        OutboxEnqueueResult group = await store.EnqueueAsync(StoreTestContext.Outgoing("g", null, "sip:a@x", "sip:b@x"), Ct);
        DateTimeOffset now = _context.Time.GetUtcNow();
        await store.ClaimNextDueAsync(now, Ct);
        await store.ClaimNextDueAsync(now, Ct);
        await store.MarkSentAsync(single.Id, Ct);
        await store.MarkSentAsync(group.Id, Ct);

        Assert.Equal(DispositionOutcome.StateAdvanced, await store.RecordDispositionAsync(single.MessageId, "sip:alice@example.com", OutboxDisposition.DeliveryForbidden, now, Ct));
        Assert.Equal(DispositionOutcome.Recorded, await store.RecordDispositionAsync(group.MessageId, "sip:a@x", OutboxDisposition.DeliveryFailed, now, Ct));
        Assert.Equal(DispositionOutcome.StateAdvanced, await store.RecordDispositionAsync(group.MessageId, "sip:b@x", OutboxDisposition.Delivered, now, Ct));

        OutboxMessage failed = (await store.GetOutboxMessageAsync(single.Id, Ct))!;
        Assert.Equal(OutboxState.Failed, failed.State);
        Assert.Equal(OutboxFailureReason.DeliveryForbidden, failed.FailureReason);
        Assert.Equal(OutboxState.Delivered, (await store.GetOutboxMessageAsync(group.Id, Ct))!.State);
        IReadOnlyList<OutboxEvent> groupEvents = [.. (await store.ReadOutboxEventsAsync(cancellationToken: Ct)).Where(e => e.OutboxId == group.Id && e.Disposition is not null)];
        Assert.Equal([OutboxDisposition.DeliveryFailed, OutboxDisposition.Delivered], groupEvents.Select(e => e.Disposition!.Value));
        Assert.Equal(OutboxFailureReason.DeliveryFailed, groupEvents[0].FailureReason);
    }

    [Fact]
    public async Task Permanent_failure_keeps_reason_and_status_and_wrong_calls_are_refused()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult queued = await store.EnqueueAsync(StoreTestContext.Outgoing(), Ct);

        var notClaimed = await Assert.ThrowsAsync<MessageStoreException>(() => store.MarkSentAsync(queued.Id, Ct));
        Assert.Equal(MessageStoreErrorReason.InvalidTransition, notClaimed.Reason);
        Assert.Contains("Sent is not allowed in state Queued", notClaimed.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<MessageStoreException>(() => store.MarkSentAsync(queued.Id + 10, Ct));
        Assert.Equal(MessageStoreErrorReason.UnknownMessage, unknown.Reason);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.MarkFailedAsync(queued.Id, OutboxFailureReason.None, null, Ct));

        await store.ClaimNextDueAsync(_context.Time.GetUtcNow(), Ct);
        Assert.Equal(OutboxState.Failed, await store.MarkFailedAsync(queued.Id, OutboxFailureReason.Rejected, 404, Ct));

        OutboxMessage stored = (await store.GetOutboxMessageAsync(queued.Id, Ct))!;
        Assert.Equal(OutboxFailureReason.Rejected, stored.FailureReason);
        Assert.Equal(404, stored.StatusCode);
        OutboxEvent last = (await store.ReadOutboxEventsAsync(cancellationToken: Ct))[^1];
        Assert.Equal((OutboxState.Failed, OutboxFailureReason.Rejected, (int?)404), (last.State, last.FailureReason, last.StatusCode));
    }

    [Fact]
    public async Task Purge_removes_only_finished_messages_older_than_the_limit()
    {
        await using MessageStore store = await _context.OpenAsync();
        OutboxEnqueueResult done = await store.EnqueueAsync(StoreTestContext.Outgoing("done"), Ct);
        OutboxEnqueueResult waiting = await store.EnqueueAsync(StoreTestContext.Outgoing("waiting") with { NotBefore = StoreTestContext.Start.AddDays(1) }, Ct);
        await store.ClaimNextDueAsync(_context.Time.GetUtcNow(), Ct);
        await store.MarkSentAsync(done.Id, Ct);
        _context.Time.Advance(TimeSpan.FromDays(10));

        Assert.Equal(1, await store.PurgeOutboxAsync(_context.Time.GetUtcNow().AddDays(-7), Ct));

        Assert.Null(await store.GetOutboxMessageAsync(done.Id, Ct));
        Assert.NotNull(await store.GetOutboxMessageAsync(waiting.Id, Ct));
        Assert.Equal(0, _context.RawScalar($"SELECT count(*) FROM outbox_event WHERE outbox_id = {done.Id}"));
    }

    [Fact]
    public async Task Body_from_a_slice_of_a_larger_buffer_is_stored_exactly()
    {
        await using MessageStore store = await _context.OpenAsync();
        byte[] buffer = Encoding.ASCII.GetBytes("xxHELLOyy");
        OutboxEnqueueResult queued = await store.EnqueueAsync(StoreTestContext.Outgoing() with { Body = buffer.AsMemory(2, 5) }, Ct);

        Assert.Equal("HELLO"u8.ToArray(), (await store.GetOutboxMessageAsync(queued.Id, Ct))!.Body.ToArray());
    }
}
