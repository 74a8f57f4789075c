/**
 * src-shared is compiled without DOM or Node types so it cannot depend on either; these two globals exist
 * in every runtime it runs in (browsers, Node, Electron), so they are declared here.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string);
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
