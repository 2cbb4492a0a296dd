/** The part of `lz4js` (pure-JavaScript LZ4, no type declarations of its own) that snn-export uses. */
declare module 'lz4js' {
  /** Decodes the LZ4 block `src[sIndex, sIndex + sLength)` into `dst` from `dIndex`; returns the end index in `dst`. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  /** Compresses `src` into one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  const lz4: { decompressBlock: typeof decompressBlock; compress: typeof compress };
  export default lz4;
}
