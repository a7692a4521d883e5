/** One challenge of a `WWW-Authenticate` header, e.g. `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  /** Lower-cased: schemes are case-insensitive (RFC 7235 §2.1). */
  scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const token68 = /([A-Za-z0-9\-._~+/]+=*)[ \t]*(?=,|$)/y;

/**
 * Parses the challenges of one or more `WWW-Authenticate` header values (RFC 7235 §4.1):
 * comma-separated challenges, each a scheme then either auth-params (token or quoted-string
 * values, backslash escapes) or a token68. Malformed trailing input ends parsing rather than
 * failing: what was understood so far is still usable, as in docker/distribution's parser.
 */
export function parseChallenges(headerValues: readonly string[]): Challenge[] {
  return headerValues.flatMap((value) => new ChallengeParser(value).parse());
}

class ChallengeParser {
  private position = 0;

  constructor(private readonly input: string) {}

  parse(): Challenge[] {
    const challenges: Challenge[] = [];
    let current: Challenge | undefined;
    for (;;) {
      this.skipSeparators();
      const name = this.readToken();
      if (name === '') break;
      this.skipSpaces();
      if (this.peek() === '=') {
        if (current === undefined) break;
        this.position++;
        this.skipSpaces();
        const value = this.peek() === '"' ? this.readQuoted() : this.readToken();
        if (value === undefined) break;
        current.params[name.toLowerCase()] = value;
        continue;
      }
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      this.skipSpaces();
      const credentials = this.readToken68();
      if (credentials !== undefined) current.params[''] = credentials;
    }
    return challenges;
  }

  /** A scheme may carry one token68 (e.g. `Negotiate abc==`) instead of parameters; it ends at a comma. */
  private readToken68(): string | undefined {
    token68.lastIndex = this.position;
    const match = token68.exec(this.input);
    if (match === null) return undefined;
    this.position += match[0].length;
    return match[1];
  }

  private readQuoted(): string | undefined {
    this.position++;
    let value = '';
    while (!this.atEnd()) {
      const char = this.input[this.position++];
      if (char === '"') return value;
      if (char === '\\') {
        if (this.atEnd()) return undefined;
        value += this.input[this.position++];
      } else {
        value += char;
      }
    }
    return undefined;
  }

  private readToken(): string {
    const start = this.position;
    while (!this.atEnd() && tokenChar.test(this.peek())) this.position++;
    return this.input.slice(start, this.position);
  }

  private skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.position++;
  }

  private skipSeparators(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.position++;
  }

  private peek(): string {
    return this.input[this.position] ?? '';
  }

  private atEnd(): boolean {
    return this.position >= this.input.length;
  }
}
