/**
 * Failure messages and stack traces travel as an encoded payload (`encodedAttributes`), so the
 * payload codec encrypts them like any other: an error's text may quote what failed (an address a
 * mail provider refused, a webhook's answer). History keeps "Encoded failure" in clear. Loaded by
 * path (`failureConverterPath`): the workflow bundle carries its own copy.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
