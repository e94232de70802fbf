/**
 * Characters a terminal may act on instead of printing: C0 controls (ESC starts the ANSI sequences that
 * clear the screen or move the cursor), DEL, C1 controls (8-bit CSI), the line and paragraph separators,
 * and the bidirectional overrides that make text display in another order than it reads.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The characters of {@link CONTROL} that JSON.stringify leaves as they are (it escapes C0 in strings). */
const BEYOND_JSON_ESCAPES = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from outside the program (ids, warehouse and Braze messages) made safe to print on a terminal:
 * every control character is shown escaped (`\x1b`, `\u202e`), so `ESC[2J` prints as `\x1b[2J` instead of
 * clearing the screen. Newlines are kept unless `newlines: false` (a value printed inside one line).
 */
export function terminalText(text: string, options: { newlines?: boolean } = {}): string {
  const keepNewlines = options.newlines ?? true;
  return text.replace(CONTROL, (char) => {
    if (char === '\n' && keepNewlines) return char;
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A value as indented JSON whose text is safe on a terminal too: JSON.stringify escapes C0 controls in
 * strings; DEL, C1 controls, the separators and bidirectional overrides are escaped as `\uXXXX` as well
 * (the same value for any JSON reader).
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    BEYOND_JSON_ESCAPES,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
