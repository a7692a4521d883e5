export * from './result';
export * from './digest';
export * from './reference/image-reference';
export { parseReference } from './reference/parse-reference';
export { familiarName, familiarString, fullName, fullString, withDefaultTag } from './reference/format-reference';
