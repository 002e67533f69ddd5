/** 经纬度: a "lat,lon" pair in one value, or a single coordinate in a column named 经度/纬度/lng/lat. */
import { FAILED, MATCH, NO, type Verdict } from '../types.ts';

const PAIR_RE = /^\(?\s*(-?\d{1,3}\.\d{4,})\s*[,，\s]\s*(-?\d{1,3}\.\d{4,})\s*\)?$/;
const COORDINATE_RE = /^-?\d{1,3}\.\d{2,}$/;

/** True when (a, b) is a valid (lat, lon) or (lon, lat) pair. */
export function isCoordinatePair(a: number, b: number): boolean {
  const inRange = (lat: number, lon: number) => Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  return inRange(a, b) || inRange(b, a);
}

/** A pair with at least 4 decimals each (precise location); FAILED when out of range. */
export function checkGpsPair(v: string): Verdict {
  if (v.length < 13 || v.length > 48 || v.indexOf('.') < 1) return NO;
  const m = PAIR_RE.exec(v);
  if (!m) return NO;
  return isCoordinatePair(Number(m[1]), Number(m[2])) ? MATCH : FAILED;
}

/** One decimal coordinate; weak: only a header (经度/纬度/lng/lat) makes a column of them a location. */
export function checkCoordinate(v: string): Verdict {
  const dot = v.indexOf('.');
  if (dot < 1 || dot > 4 || v.length < 4 || v.length > 20 || !COORDINATE_RE.test(v)) return NO;
  return Math.abs(Number(v)) <= 180 ? MATCH : FAILED;
}
