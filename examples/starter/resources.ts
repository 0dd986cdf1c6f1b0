// Resource classes. Every exported class is mounted at /<ExportName>; `tables` holds the schema's
// tables, typed from schema.graphql by .lode/types.d.ts (written by `lode dev`, `lode run` and `lode types`).
import { LodeError, Resource, tables, type ErrorDetail, type RequestContext, type RequestTarget, type ResourceId } from 'lode';

const MAX_COMMENT_LENGTH = 500;

/** What a write to the Comment table accepts, as generated from the schema. */
type CommentData = Parameters<typeof tables.Comment.create>[0];

/** The target the REST layer passes for a whole collection (`GET /Todo/`). */
const wholeCollection: RequestTarget = { isCollection: true, path: '', search: '' };

/** GET /Stats: a summary computed from the tables on each request. */
export class Stats extends Resource {
  static async get() {
    let done = 0;
    for (const todo of (await tables.Todo.get(wholeCollection)) as Iterable<{ done?: boolean | null }>) {
      if (todo.done) done++;
    }
    const todos = tables.Todo.count();
    return { todos, done, open: todos - done, comments: tables.Comment.count() };
  }
}

/**
 * The checks the schema cannot express: text that is not blank (stored trimmed) and not too long,
 * and a todoId that names an existing todo. For PATCH (`partial`) only the attributes sent are checked.
 */
async function checkComment(data: unknown, partial: boolean): Promise<CommentData> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new LodeError('VALIDATION_FAILED', 'A comment must be a JSON object');
  }
  const comment: Record<string, unknown> = { ...data };
  const errors: ErrorDetail[] = [];
  if (!partial || 'text' in comment) {
    const text = typeof comment.text === 'string' ? comment.text.trim() : '';
    if (text === '') errors.push({ path: 'text', message: 'must be a non-blank string' });
    else if (text.length > MAX_COMMENT_LENGTH) errors.push({ path: 'text', message: `must be at most ${MAX_COMMENT_LENGTH} characters` });
    comment.text = text;
  }
  if (!partial || 'todoId' in comment) {
    const todoId = comment.todoId;
    if (typeof todoId !== 'string' || (await tables.Todo.get(todoId)) === undefined) {
      errors.push({ path: 'todoId', message: 'must be the id of an existing todo' });
    }
  }
  if (errors.length > 0) {
    const summary = errors.map((error) => `${error.path} ${error.message}`).join('; ');
    throw new LodeError('VALIDATION_FAILED', `Invalid comment: ${summary}`, { errors });
  }
  return comment as CommentData;
}

/**
 * /Comment/: the Comment table with validation on every write. Reads and deletes are the
 * table's own; the schema leaves Comment without @export because this class is its export.
 */
export class Comment extends tables.Comment {
  static override async post(target: RequestTarget | ResourceId, data: unknown, context?: RequestContext) {
    return super.post(target, await checkComment(data, false), context);
  }

  static override async put(target: RequestTarget | ResourceId, data: unknown, context?: RequestContext) {
    return super.put(target, await checkComment(data, false), context);
  }

  static override async patch(target: RequestTarget | ResourceId, data: unknown, context?: RequestContext) {
    return super.patch(target, await checkComment(data, true), context);
  }
}
