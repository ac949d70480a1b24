/** The little of `process` the front end's path handling asks for in the browser: a working directory. */
export const process = { cwd: (): string => "/", env: {} as Record<string, string | undefined>, platform: "browser" };
