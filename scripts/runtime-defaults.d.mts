/** See runtime-defaults.mjs. */
export declare const NODE_OPTIONS_BY_APP: Readonly<Record<'api' | 'worker' | 'cli', string>>;
export declare function nodeOptionsFor(app: string, env?: Record<string, string | undefined>): string;
export declare function logFormatFor(env?: Record<string, string | undefined>, stdoutIsTty?: boolean): string;
