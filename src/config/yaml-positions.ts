import type { LineCounter } from 'yaml';
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/** Finds the `line:column` of a path in a parsed YAML document, or of its nearest existing parent. */
export class YamlPositions {
  constructor(
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  of(path: readonly PropertyKey[], { key = false } = {}): string | undefined {
    for (let length = path.length; length >= 0; length--) {
      const node = this.nodeAt(path.slice(0, length), key && length === path.length);
      if (node?.range) {
        const { line, col } = this.lines.linePos(node.range[0]);
        return `${line}:${col}`;
      }
    }
    return undefined;
  }

  private nodeAt(path: readonly PropertyKey[], wantKey: boolean): Node | undefined {
    let node: unknown = this.document.contents;
    for (const [index, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
        );
        if (!pair) return undefined;
        node = wantKey && index === path.length - 1 ? pair.key : pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    return node as Node | undefined;
  }
}
