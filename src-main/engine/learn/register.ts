/** Registers every learning method with the session runner (imported once by the engine process). */
export {};
