/** Why a command was refused. The API maps each code to one HTTP status (api/errors.ts). */
export type RejectionCode =
  /**
   * The actor may not see the case (domain/visibility.ts): answered exactly like a case that does
   * not exist, so a refusal never tells an outsider that the case is there.
   */
  | 'case_not_found'
  | 'invalid_command'
  | 'invalid_fields'
  | 'unknown_stage'
  | 'reason_required'
  | 'no_change'
  | 'forbidden'
  | 'transition_not_allowed'
  | 'case_not_open'
  | 'case_open'
  | 'already_in_stage'
  | 'task_not_found'
  | 'task_already_completed'
  | 'task_not_completed'
  | 'participant_not_found'
  | 'participant_exists'
  | 'unknown_slot'
  | 'document_not_found'
  | 'unsupported_content_type'
  | 'already_reviewed'
  | 'not_latest_version'
  | 'no_clock'
  | 'clock_paused'
  | 'clock_not_paused'
  /** A per-case count or byte budget (domain/limits.ts) would be exceeded. */
  | 'limit_exceeded'
  /** The command itself is larger than a command may be. */
  | 'command_too_large'
  /** The case cannot move to another template version now (domain/migration.ts); `errors` say why. */
  | 'migration_blocked'
  /** The case has too many events waiting for the read model: try again shortly. */
  | 'case_busy';

export interface MissingCriteria {
  fields: string[];
  documents: string[];
  tasks: string[];
}

export interface Rejection {
  code: RejectionCode;
  detail: string;
  /** For `transition_not_allowed`: what the stage being left still needs. */
  missing?: MissingCriteria;
  /** Field-level problems (`invalid_fields`, `invalid_command`). */
  errors?: Array<{ path: string; message: string }>;
}

export function reject(code: RejectionCode, detail: string, extra: Omit<Rejection, 'code' | 'detail'> = {}): Rejection {
  return { code, detail, ...extra };
}
