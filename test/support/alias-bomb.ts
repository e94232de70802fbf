/** A "billion laughs" YAML document: nine levels of nine aliases each, 9⁹ strings once expanded. */
export function aliasBomb(): string {
  const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (const [index, name] of [...'bcdefghi'].entries()) {
    const previous = String.fromCharCode(97 + index);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  return `${levels.join('\n')}\n`;
}
