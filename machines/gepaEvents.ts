/**
 * The GEPA optimiser's protocol. It is a root actor (systemId "gepa"), so it
 * only takes a stop request from outside and emits one event per finished
 * iteration for progress bars, dashboards and loggers:
 *
 *   outside --GEPA.STOP-->      gepa      (finish the current iteration, then stop)
 *   gepa    --GEPA.ITERATION--> listeners (emitted after the iteration is on disk)
 */
import type { IterationRecord } from '../contracts/gepa/types.js';

export type GepaStopEvent = { type: 'GEPA.STOP' };
export type GepaInbound = GepaStopEvent;

export type GepaIterationEvent = { type: 'GEPA.ITERATION'; record: IterationRecord };
export type GepaEmitted = GepaIterationEvent;
