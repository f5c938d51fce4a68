/** See runtime-defaults.mjs. */
export declare const DEFAULT_NODE_OPTIONS: string;
