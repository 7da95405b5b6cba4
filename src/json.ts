// JSON values and the one stable serialiser every written document goes through.
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * JSON.stringify with object keys in insertion order (the model's field order) and a final
 * newline. Documents we write are compared byte for byte by other tools, so every writer
 * uses this one function.
 */
export function stableStringify(value: unknown, indent = 2): string {
  return `${JSON.stringify(value, null, indent)}\n`;
}

