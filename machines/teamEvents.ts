/**
 * The contract between the actors of an agent team run. A team is a tree of
 * workflow nodes; each node runs as an actor spawned by its parent, and the
 * only message in the tree goes up, as the child's completion:
 *
 *   team (root)  --spawns-->  sequential | loop | parallel | agent   (input: NodeInput)
 *   sequential | loop | parallel  --spawn-->  their steps, one actor per step run
 *   any node  --xstate.done.actor.<childId> {output: NodeResult}-->  its parent
 *
 * A node's result carries its output, the state keys it wrote and the trace
 * of every agent run inside it; a failed agent sets `error`, and every
 * enclosing node stops there and passes the error up. A child that crashes
 * (a bug, never a model or tool failure) reaches its parent as
 * xstate.error.actor.<childId>, which fails the parent the same way.
 */
import type { DoneActorEvent, ErrorActorEvent } from 'xstate';
import type { NodeResult } from '../contracts/teams/types.js';

export type TeamNodeDoneEvent = DoneActorEvent<NodeResult>;
export type TeamNodeErrorEvent = ErrorActorEvent;

export type TeamNodeEvent = TeamNodeDoneEvent | TeamNodeErrorEvent;
