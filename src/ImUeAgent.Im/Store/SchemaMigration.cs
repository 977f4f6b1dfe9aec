// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>
/// One forward step of the schema: the SQL that takes a file from <c>Version - 1</c> to <see cref="Version"/>.
/// Steps are applied in order, all pending ones in one transaction, and <c>PRAGMA user_version</c> is set in the
/// same transaction, so a crash mid-migration leaves the file at its old version.
/// </summary>
internal sealed record SchemaMigration(int Version, string Sql);
