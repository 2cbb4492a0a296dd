/**
 * What the fuzzer knows about one input format: how to make valid seed files with the project's
 * own writers, hand-crafted hostile files, and the library entry point the CLI uses to read such
 * a file. Seeds and cases are made in the parent process; `read` runs in the worker.
 */

/**
 * A layer of a seed that mutations can target instead of the raw bytes: the inflated payload of
 * a gzip or zlib stream, the body under a checksum, the JSON inside a header. `wrap` turns the
 * mutated layer back into a whole file (recompressing, recomputing the checksum), so mutations
 * reach the parser behind the integrity checks.
 */
export type SeedView =
  | { kind: 'binary'; name: string; inner: Uint8Array; wrap(inner: Uint8Array): Uint8Array }
  | { kind: 'json'; name: string; value: unknown; wrap(jsonText: Uint8Array): Uint8Array };

/** A valid file of the format. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
  views?: SeedView[];
  /** Leading bytes (magic text, header lines) that most byte mutations leave alone, so they reach the body. */
  spare?: number;
}

/** A hand-made hostile file: a field set to a value chosen to break a naive reader. */
export interface CraftedCase {
  name: string;
  bytes: Uint8Array;
}

export interface FuzzFormat {
  /** Name used by `--format` and in the table. */
  name: string;
  /** The entry point read, for the table's footnote (what CLI command this stands for). */
  entry: string;
  /** File name each case is written as (the extension matters to some readers). */
  fileName: string;
  /** Text formats (JSON, AEDAT headers) also get the text mutations. */
  text: boolean;
  /** Valid files; `dir` is a scratch folder the writers may use. */
  seeds(dir: string): Promise<Seed[]>;
  crafted(seeds: Seed[]): CraftedCase[];
  /** Reads the file at `path` the way the CLI does; `scratch` is an empty folder for the case. Throws to refuse. */
  read(path: string, scratch: string): Promise<void>;
}
