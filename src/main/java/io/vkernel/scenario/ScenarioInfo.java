package io.vkernel.scenario;

/**
 * One of the seed's walk-throughs as the catalog lists it: a kebab-case id, a title, the seed section it comes
 * from and a paragraph saying what a run shows.
 */
public record ScenarioInfo(String id, String title, String seedSection, String summary) {
}
