// The parts of jsfive (a pure-JS HDF5 reader without type declarations) that mat73.ts uses.
declare module 'jsfive' {
  export class Group {
    readonly name: string;
    readonly keys: string[];
    readonly attrs: Record<string, unknown>;
    get(path: string): Group | Dataset | null;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    readonly dtype: string | unknown[];
    readonly attrs: Record<string, unknown>;
    readonly value: ArrayLike<number | bigint>;
    /** Internal: the HDF5 object behind the dataset. */
    readonly _dataobjects: { readonly chunks: number[] | null };
  }
  export const Filters: Map<number, (buf: ArrayBuffer, itemsize: number, clientData?: unknown) => ArrayBuffer>;
}
