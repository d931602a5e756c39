// A pure matcher for node-cron expressions at minute resolution: node-cron parses (and validates) the
// expression, this decides whether a given moment falls in it, in a given IANA time zone, without timers.

import cron from "node-cron";

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

// Policies are few and their schedules change rarely; parsing once per distinct expression is enough.
const parsedSchedules = new Map<string, ReturnType<typeof cron.parse>>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The last minute read per time zone: one reconcile pass asks about the same moment for every pod. */
const lastReading = new Map<string, { minute: number; time: LocalTime }>();

function localTime(date: Date, timeZone: string): LocalTime {
  if (timeZone === "UTC") {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      weekday: date.getUTCDay(),
    };
  }
  const minute = Math.floor(date.getTime() / 60_000);
  const cached = lastReading.get(timeZone);
  if (cached?.minute === minute) return cached.time;
  const time = readZone(date, timeZone);
  lastReading.set(timeZone, { minute, time });
  return time;
}

function readZone(date: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS[parts.weekday!]!,
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Mon–Fri) nearest to `target` within the month, as cron's `W` defines it. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = daysInMonth(year, month);
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function dayOfMonthMatches(token: number | string, t: LocalTime): boolean {
  const last = daysInMonth(t.year, t.month);
  if (typeof token === "number") return token === t.day;
  if (token === "L") return t.day === last;
  if (token === "LW") return t.day === nearestWeekday(t.year, t.month, last);
  const weekday = /^(\d+)W$/.exec(token);
  if (weekday)
    return Number(weekday[1]) <= last && t.day === nearestWeekday(t.year, t.month, Number(weekday[1]));
  const offset = /^L-(\d+)$/.exec(token);
  return offset !== null && t.day === last - Number(offset[1]);
}

function dayOfWeekMatches(token: number | string, t: LocalTime): boolean {
  if (typeof token === "number") return token % 7 === t.weekday;
  const lastOfMonth = /^([0-7])L$/.exec(token);
  if (lastOfMonth)
    return Number(lastOfMonth[1]) % 7 === t.weekday && t.day + 7 > daysInMonth(t.year, t.month);
  const nth = /^([0-7])#([1-5])$/.exec(token);
  return nth !== null && Number(nth[1]) % 7 === t.weekday && Math.ceil(t.day / 7) === Number(nth[2]);
}

/**
 * Whether the minute containing `date` (read in `timeZone`) matches the node-cron expression. A six-field
 * expression's seconds are ignored: decisions are made per minute. Day-of-month and day-of-week must both hold,
 * as node-cron evaluates them.
 */
export function cronMatches(expression: string, date: Date, timeZone = "UTC"): boolean {
  let fields = parsedSchedules.get(expression);
  if (!fields) {
    fields = cron.parse(expression);
    if (parsedSchedules.size >= 1000) parsedSchedules.clear(); // bounded: policies are few
    parsedSchedules.set(expression, fields);
  }
  const t = localTime(date, timeZone);
  return (
    fields.minute.includes(t.minute) &&
    fields.hour.includes(t.hour) &&
    fields.month.includes(t.month) &&
    fields.dayOfMonth.some((token) => dayOfMonthMatches(token, t)) &&
    fields.dayOfWeek.some((token) => dayOfWeekMatches(token, t))
  );
}
