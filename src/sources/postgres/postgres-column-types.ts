/** Built-in PostgreSQL type OIDs whose text form is a usable identifier (see QueryColumn.identifier). */
const IDENTIFIER_OIDS: ReadonlyMap<number, string> = new Map([
  [25, 'text'],
  [1043, 'varchar'],
  [1042, 'char'],
  [18, '"char"'],
  [19, 'name'],
  [705, 'unknown'], // an untyped literal such as 'abc'
  [21, 'smallint'],
  [23, 'integer'],
  [20, 'bigint'],
  [26, 'oid'],
  [2950, 'uuid'],
]);

/** Names of common built-in types that are not usable identifiers, for messages. */
const OTHER_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'boolean'],
  [700, 'real'],
  [701, 'double precision'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [114, 'json'],
  [3802, 'jsonb'],
  [17, 'bytea'],
  [2249, 'record'],
]);

const NUMERIC = 1700;
/** OIDs below this are built in; above are the database's own (enums, domains, extensions like citext). */
const FIRST_USER_OID = 16384;

/**
 * Describes a result column from its type OID and modifier (as pg's `fields` carry them): whether its text
 * form is a usable identifier, and a type name for messages. numeric(p,0) is a whole number and numeric(p,s)
 * with s > 0 is not; unconstrained numeric may be either, value by value. Types the database defines itself
 * are trusted as text.
 */
export function describePgColumnType(
  oid: number,
  typmod: number,
): { type: string; identifier: boolean; fractionPossible?: boolean } {
  const known = IDENTIFIER_OIDS.get(oid);
  if (known) return { type: known, identifier: true };
  if (oid === NUMERIC) {
    // Unconstrained numeric is what bigint UNION numeric, SUM() and arithmetic produce: whole values are
    // ids, but `id * 1.0` prints as "1.0" and `id / 2.0` as "0.50000000000000000000", so each value is
    // checked as it is staged (POSTGRES_CAPABILITIES.wholeNumberText).
    if (typmod < 4) return { type: 'numeric', identifier: true, fractionPossible: true };
    const precision = ((typmod - 4) >> 16) & 0xffff;
    const scale = (typmod - 4) & 0xffff;
    return { type: `numeric(${precision},${scale})`, identifier: scale === 0 };
  }
  if (oid >= FIRST_USER_OID) return { type: `user-defined type ${oid}`, identifier: true };
  return { type: OTHER_NAMES.get(oid) ?? `type oid ${oid}`, identifier: false };
}
