import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
// @temporalio/proto ships with (and is pinned by) @temporalio/client; the enum is not re-exported.
import { temporal } from '@temporalio/proto';
import { caseSearchAttributes } from '../workflows/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const indexedValueTypes: Record<SearchAttributeType, IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

const GRPC_ALREADY_EXISTS = 6;

export interface RegisterSearchAttributesOptions {
  /** How long to wait for the server to make new attributes visible (registration is async). */
  timeoutMs?: number;
}

/**
 * Registers the case search attributes in `namespace`. Safe to call on every boot: attributes
 * already present are left alone, and a concurrent registration by another worker is tolerated.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  options: RegisterSearchAttributesOptions = {},
): Promise<void> {
  const wanted = Object.fromEntries(caseSearchAttributes.map((k) => [k.name, indexedValueTypes[k.type]]));

  const existing = await listCustom(connection, namespace);
  assertCompatible(existing, wanted, namespace);
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in existing)));
  if (Object.keys(missing).length === 0) return;

  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if ((err as { code?: unknown }).code !== GRPC_ALREADY_EXISTS) throw err;
  }

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const now = await listCustom(connection, namespace);
    assertCompatible(now, wanted, namespace);
    const stillMissing = Object.keys(wanted).filter((name) => !(name in now));
    if (stillMissing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`search attributes ${stillMissing.join(', ')} not visible in namespace "${namespace}" after registration`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function listCustom(connection: Connection, namespace: string): Promise<Record<string, IndexedValueType>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  return res.customAttributes ?? {};
}

/** A same-named attribute of another type would make every upsert fail later; say so at boot. */
function assertCompatible(
  existing: Record<string, IndexedValueType>,
  wanted: Record<string, IndexedValueType>,
  namespace: string,
): void {
  const conflicts = Object.entries(wanted)
    .filter(([name, type]) => name in existing && existing[name] !== type)
    .map(([name, type]) => `${name} is ${IndexedValueType[existing[name]!]}, expected ${IndexedValueType[type]}`);
  if (conflicts.length) {
    throw new Error(`conflicting search attributes in namespace "${namespace}": ${conflicts.join('; ')}`);
  }
}
