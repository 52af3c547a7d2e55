"""What the reader has selected in the sidebar, as one small immutable value.

Every query takes a ``Selection`` rather than loose arguments, so the same filters mean the
same rows on every page, the value can key the query cache, and the sidebar (which knows
about widgets and URLs) stays apart from the SQL (which knows about neither).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipelines.filters import UNKNOWN, Filters, Place

# The value a region filter takes for reports whose organ could not be placed (region NULL).
UNKNOWN_REGION = UNKNOWN

LEVELS = ("province", "city", "county", "organ")


@dataclass(frozen=True, slots=True)
class Selection:
    """The sidebar's filters. ``None`` means "all"."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    organ_id: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    kind: str | None = None  # "government" | "department"
    include_demo: bool = True
    same_organs: bool = False  # only organs with a report in every selected year
    # The years the sidebar offered (those with reports in its scope): the selected years
    # are these within year_from–year_to, so a year no report has does not empty "same
    # organs" (no organ reports in a year nobody reports in). Empty: every year of the range.
    known_years: tuple[int, ...] = ()

    @property
    def child_level(self) -> str:
        """The level a comparison across "regions" of this selection runs on.

        Nothing chosen: provinces; a province: its cities; a city: its counties; a county
        (or one organ): organs.
        """
        if self.county is not None or self.organ_id is not None:
            return "organ"
        if self.city is not None:
            return "county"
        if self.province is not None:
            return "city"
        return "province"

    @property
    def years(self) -> list[int]:
        if self.year_from is None or self.year_to is None:
            return []
        span = range(self.year_from, self.year_to + 1)
        if self.known_years:
            return [y for y in self.known_years if y in span]
        return list(span)

    def with_years(self, year_from: int | None, year_to: int | None) -> Selection:
        return replace(self, year_from=year_from, year_to=year_to)

    def filters(self) -> Filters:
        """The selection in the model every query and export reads."""
        region = (self.province, self.city, self.county)
        return Filters(
            years=tuple(self.years),
            places=(Place(*region),) if any(v is not None for v in region) else (),
            organs=(self.organ_id,) if self.organ_id is not None else (),
            organ_kinds=(self.kind,) if self.kind is not None else (),
            include_demo=self.include_demo,
            same_organs=self.same_organs,
        )

    def as_dict(self) -> dict[str, object]:
        """For file metadata: what a downloaded file was filtered by."""
        return {
            "province": self.province,
            "city": self.city,
            "county": self.county,
            "organ_id": self.organ_id,
            "year_from": self.year_from,
            "year_to": self.year_to,
            "organ_kind": self.kind,
            "include_demo": self.include_demo,
            "same_organs": self.same_organs,
        }
