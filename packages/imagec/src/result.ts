export interface Failure<Code extends string = string> {
  code: Code;
  message: string;
}

export type Result<T, Code extends string = string> =
  | { ok: true; value: T }
  | { ok: false; error: Failure<Code> };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<Code extends string>(code: Code, message: string): { ok: false; error: Failure<Code> } {
  return { ok: false, error: { code, message } };
}
