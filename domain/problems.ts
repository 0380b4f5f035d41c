// Errors that carry an RFC 9457 problem shape. Raised anywhere (repositories,
// route handlers), rendered once by the API's error handler.

export interface FieldError {
  /** JSON-pointer-like dotted path of the offending field, e.g. "whatsappNumber". */
  field: string;
  message: string;
}

export class Problem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;

  constructor(status: number, type: string, title: string, detail: string, errors?: FieldError[]) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = errors;
  }
}

export class ValidationProblem extends Problem {
  constructor(errors: FieldError[]) {
    super(422, 'validation-failed', 'Request validation failed',
      errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }
}

export class NotFoundProblem extends Problem {
  constructor(resource: string, id: string) {
    super(404, 'not-found', 'Resource not found', `${resource} ${id} does not exist.`);
  }
}

export class ConflictProblem extends Problem {
  constructor(detail: string, errors?: FieldError[]) {
    super(409, 'conflict', 'Conflict with an existing resource', detail, errors);
  }
}
