/** See architecture-rules.js: the allowed dependencies between framework/src modules. */
export declare const moduleLayers: Record<string, string[]>;
