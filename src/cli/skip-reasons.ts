/**
 * Parses the `skip_reasons` text of a report or a sync_runs row
 * (`reason: count; reason: count`, as the run writes it) into a map.
 */
export function parseSkipReasons(text: string | null | undefined): Record<string, number> {
  const reasons: Record<string, number> = {};
  for (const part of (text ?? '').split('; ')) {
    const colon = part.lastIndexOf(': ');
    if (colon > 0) reasons[part.slice(0, colon)] = Number(part.slice(colon + 2));
  }
  return reasons;
}
