/** The signed-in actor (GET /v1/me), shared by every page through context. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import type { MeAnswer } from './types';

export type Me = MeAnswer;

export const MeContext = createContext<Me | undefined>(undefined);

/** The signed-in actor; only pages rendered inside the signed-in shell use it. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe() outside the signed-in shell');
  return me;
}

export const isAdmin = (me: Me) => me.roles.includes('admin');
