/** A user-facing CLI failure: printed as one line on stderr, exit code 2 (bad input). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
