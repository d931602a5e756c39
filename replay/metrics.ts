// Quality figures of a replay, per container-day (UTC calendar day) as in the Autopilot paper, and CPU
// starvation as VASIM reports it. Usage is the trace's true usage; limits and requests are what the pod had
// during that sample.

const DAY = 86400;
/** A container-day needs this much coverage before its slack counts (a few samples say little about a day). */
const MIN_SLACK_COVERAGE_SECONDS = 3600;

class DayAccumulator {
  usage: number[] = [];
  sumLimit = 0;
  sumRequest = 0;
  limited = 0;
  requested = 0;

  add(usage: number, limit: number | undefined, request: number | undefined): void {
    this.usage.push(usage);
    if (limit !== undefined) {
      this.sumLimit += limit;
      this.limited++;
    }
    if (request !== undefined) {
      this.sumRequest += request;
      this.requested++;
    }
  }

  /** (mean limit − p95 usage) / mean limit, and the same against the request. */
  slack(): { limit?: number; request?: number } {
    const sorted = Float64Array.from(this.usage).sort();
    const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
    const out: { limit?: number; request?: number } = {};
    if (this.limited > 0) {
      const mean = this.sumLimit / this.limited;
      out.limit = (mean - p95) / mean;
    }
    if (this.requested > 0) {
      const mean = this.sumRequest / this.requested;
      out.request = (mean - p95) / mean;
    }
    return out;
  }
}

export interface ResourceFigures {
  samples: number;
  limitSlackSum: number;
  requestSlackSum: number;
  slackDays: number;
  requestSlackDays: number;
}

/** Accumulates one resource of one or more containers; call endDay() whenever a container-day closes. */
class ResourceMeter {
  figures: ResourceFigures = {
    samples: 0,
    limitSlackSum: 0,
    requestSlackSum: 0,
    slackDays: 0,
    requestSlackDays: 0,
  };
  over = 0;
  shortfallSum = 0;
  sumLimit = 0;
  sumUnusedLimit = 0;
  private day = new DayAccumulator();
  private dayCoverage = 0;

  add(usage: number, limit: number | undefined, request: number | undefined, seconds: number): boolean {
    this.figures.samples++;
    this.day.add(usage, limit, request);
    this.dayCoverage += seconds;
    if (limit === undefined) return false;
    this.sumLimit += limit;
    this.sumUnusedLimit += Math.max(0, limit - usage);
    if (usage > limit) {
      this.over++;
      this.shortfallSum += usage - limit;
      return true;
    }
    return false;
  }

  endDay(): void {
    if (this.dayCoverage >= MIN_SLACK_COVERAGE_SECONDS && this.day.usage.length > 0) {
      const s = this.day.slack();
      if (s.limit !== undefined) {
        this.figures.limitSlackSum += s.limit;
        this.figures.slackDays++;
      }
      if (s.request !== undefined) {
        this.figures.requestSlackSum += s.request;
        this.figures.requestSlackDays++;
      }
    }
    this.day = new DayAccumulator();
    this.dayCoverage = 0;
  }
}

export interface ReplayFigures {
  containers: number;
  containerDays: number;
  /** calendar container-days with at least one sample */
  calendarContainerDays: number;
  memory: {
    relativeSlack: number | null;
    requestRelativeSlack: number | null;
    oomEvents: number;
    oomEventsPerContainerDay: number;
    oomFreeContainerDaysPercent: number;
  } | null;
  cpu: {
    relativeSlack: number | null;
    requestRelativeSlack: number | null;
    starvedSamplesPercent: number;
    meanShortfallCores: number;
    /** VASIM's slack: mean unused limit / mean limit, over all samples, in % */
    slackPercent: number | null;
    meanSlackCores: number | null;
  } | null;
  resizes: number;
  resizesPerContainerDay: number;
  /** % of container-days without any resize (Autopilot gate: ≥ 70 %) */
  resizeFreeContainerDaysPercent: number;
}

/** Collects the figures of every container replayed with one strategy. */
export class ReplayMeter {
  private readonly memory = new ResourceMeter();
  private readonly cpu = new ResourceMeter();
  private hasMemory = false;
  private hasCpu = false;
  private containers = 0;
  private coveredSeconds = 0;
  private calendarDays = 0;
  private oomFreeDays = 0;
  private resizeFreeDays = 0;
  private resizes = 0;
  private day = Number.NaN;
  private dayOoms = 0;
  private dayResizes = 0;

  startContainer(): void {
    this.closeDay();
    this.containers++;
    this.day = Number.NaN;
  }

  /** One sample of true usage at time t lasting `seconds`, with the pod's resources at that time (cores, bytes). */
  sample(
    t: number,
    seconds: number,
    memory: { usage: number; limit?: number; request?: number } | undefined,
    cpu: { usage: number; limit?: number; request?: number } | undefined,
  ): { oom: boolean } {
    const day = Math.floor(t / DAY);
    if (day !== this.day) {
      this.closeDay();
      this.day = day;
    }
    this.coveredSeconds += seconds;
    let oom = false;
    if (memory) {
      this.hasMemory = true;
      oom = this.memory.add(memory.usage, memory.limit, memory.request, seconds);
      if (oom) this.dayOoms++;
    }
    if (cpu) {
      this.hasCpu = true;
      this.cpu.add(cpu.usage, cpu.limit, cpu.request, seconds);
    }
    return { oom };
  }

  resized(): void {
    this.resizes++;
    this.dayResizes++;
  }

  finish(): ReplayFigures {
    this.closeDay();
    const containerDays = this.coveredSeconds / DAY;
    const m = this.memory;
    const c = this.cpu;
    const mean = (sum: number, n: number) => (n > 0 ? sum / n : null);
    return {
      containers: this.containers,
      containerDays,
      calendarContainerDays: this.calendarDays,
      memory: this.hasMemory
        ? {
            relativeSlack: mean(m.figures.limitSlackSum, m.figures.slackDays),
            requestRelativeSlack: mean(m.figures.requestSlackSum, m.figures.requestSlackDays),
            oomEvents: m.over,
            oomEventsPerContainerDay: containerDays > 0 ? m.over / containerDays : 0,
            oomFreeContainerDaysPercent:
              this.calendarDays > 0 ? (100 * this.oomFreeDays) / this.calendarDays : 100,
          }
        : null,
      cpu: this.hasCpu
        ? {
            relativeSlack: mean(c.figures.limitSlackSum, c.figures.slackDays),
            requestRelativeSlack: mean(c.figures.requestSlackSum, c.figures.requestSlackDays),
            starvedSamplesPercent: c.figures.samples > 0 ? (100 * c.over) / c.figures.samples : 0,
            meanShortfallCores: c.figures.samples > 0 ? c.shortfallSum / c.figures.samples : 0,
            slackPercent: c.sumLimit > 0 ? (100 * c.sumUnusedLimit) / c.sumLimit : null,
            meanSlackCores: c.figures.samples > 0 ? c.sumUnusedLimit / c.figures.samples : null,
          }
        : null,
      resizes: this.resizes,
      resizesPerContainerDay: containerDays > 0 ? this.resizes / containerDays : 0,
      resizeFreeContainerDaysPercent:
        this.calendarDays > 0 ? (100 * this.resizeFreeDays) / this.calendarDays : 100,
    };
  }

  private closeDay(): void {
    if (Number.isNaN(this.day)) return;
    this.memory.endDay();
    this.cpu.endDay();
    this.calendarDays++;
    if (this.dayOoms === 0) this.oomFreeDays++;
    if (this.dayResizes === 0) this.resizeFreeDays++;
    this.dayOoms = 0;
    this.dayResizes = 0;
    this.day = Number.NaN;
  }
}
