//! The members' strategy presents its offer as a grid: two categories of learning by the
//! kinds of offer. The grid is computed from the published catalogue, never kept by hand.

use crate::course::{Audience, Category, Course, CourseStatus, Offer};
use crate::vocabulary;

vocabulary!(
    /// Who a matrix is drawn for.
    MatrixAudience { Employees => "employees", Members => "members" }
);

vocabulary!(
    /// The matrix's columns: "one-off" and "additional" training both come by request.
    MatrixColumn {
        Mandatory => "mandatory",
        RoleSpecific => "role_specific",
        Supplementary => "supplementary",
        ByRequest => "by_request",
    }
);

impl Offer {
    pub fn column(self) -> MatrixColumn {
        match self {
            Offer::Mandatory => MatrixColumn::Mandatory,
            Offer::RoleSpecific => MatrixColumn::RoleSpecific,
            Offer::Supplementary => MatrixColumn::Supplementary,
            Offer::OneOff | Offer::Additional => MatrixColumn::ByRequest,
        }
    }
}

impl Audience {
    pub fn includes(self, audience: MatrixAudience) -> bool {
        matches!(
            (self, audience),
            (Audience::All, _)
                | (Audience::Employees, MatrixAudience::Employees)
                | (Audience::Members, MatrixAudience::Members)
        )
    }
}

/// One cell of the matrix: the published courses of one category and column.
#[derive(Debug, PartialEq, Eq)]
pub struct MatrixCell<'a> {
    pub category: Category,
    pub column: MatrixColumn,
    pub courses: Vec<&'a Course>,
}

/// Always the eight cells, in row order then column order, each listing courses by code;
/// an empty cell says the offer has a gap there.
pub fn build(audience: MatrixAudience, catalogue: &[Course]) -> Vec<MatrixCell<'_>> {
    let mut offered: Vec<&Course> = catalogue
        .iter()
        .filter(|c| c.status == CourseStatus::Published && c.details.audience.includes(audience))
        .collect();
    offered.sort_by(|a, b| a.details.code.cmp(&b.details.code));
    Category::ALL
        .iter()
        .flat_map(|&category| {
            MatrixColumn::ALL
                .iter()
                .map(move |&column| (category, column))
        })
        .map(|(category, column)| MatrixCell {
            category,
            column,
            courses: offered
                .iter()
                .copied()
                .filter(|c| c.details.category == category && c.details.offer.column() == column)
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::CourseInput;
    use crate::course::tests::{completed, course, draft};

    fn published(code: &str, category: Category, offer: Offer, audience: Audience) -> Course {
        let draft = CourseInput {
            category,
            offer,
            audience,
            equality_impact_assessment: completed(),
            ..draft(code)
        };
        course(draft, CourseStatus::Published)
    }

    fn codes<'a>(
        cells: &'a [MatrixCell<'_>],
        category: Category,
        column: MatrixColumn,
    ) -> Vec<&'a str> {
        cells
            .iter()
            .find(|cell| cell.category == category && cell.column == column)
            .map(|cell| {
                cell.courses
                    .iter()
                    .map(|c| c.details.code.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn an_empty_catalogue_still_has_eight_cells_in_order() {
        let cells = build(MatrixAudience::Members, &[]);
        let order: Vec<_> = cells
            .iter()
            .map(|c| (c.category.as_str(), c.column.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("knowledge_based", "mandatory"),
                ("knowledge_based", "role_specific"),
                ("knowledge_based", "supplementary"),
                ("knowledge_based", "by_request"),
                ("enabling_skills", "mandatory"),
                ("enabling_skills", "role_specific"),
                ("enabling_skills", "supplementary"),
                ("enabling_skills", "by_request"),
            ]
        );
        assert!(cells.iter().all(|c| c.courses.is_empty()));
    }

    #[test]
    fn one_off_and_additional_offers_share_the_by_request_column() {
        let catalogue = [
            published(
                "LGA-EVENT",
                Category::KnowledgeBased,
                Offer::OneOff,
                Audience::Members,
            ),
            published(
                "DEEP-DIVE",
                Category::KnowledgeBased,
                Offer::Additional,
                Audience::Members,
            ),
        ];
        let cells = build(MatrixAudience::Members, &catalogue);
        assert_eq!(
            codes(&cells, Category::KnowledgeBased, MatrixColumn::ByRequest),
            ["DEEP-DIVE", "LGA-EVENT"]
        );
    }

    #[test]
    fn only_published_courses_for_the_audience_appear() {
        let mut draft_course = published(
            "DRAFT",
            Category::EnablingSkills,
            Offer::Supplementary,
            Audience::All,
        );
        draft_course.status = CourseStatus::Draft;
        let mut retired = published(
            "OLD",
            Category::EnablingSkills,
            Offer::Supplementary,
            Audience::All,
        );
        retired.status = CourseStatus::Retired;
        let catalogue = [
            draft_course,
            retired,
            published(
                "STAFF",
                Category::EnablingSkills,
                Offer::Supplementary,
                Audience::Employees,
            ),
            published(
                "EVERYONE",
                Category::EnablingSkills,
                Offer::Supplementary,
                Audience::All,
            ),
            published(
                "CHAIR",
                Category::EnablingSkills,
                Offer::RoleSpecific,
                Audience::Members,
            ),
        ];
        let members = build(MatrixAudience::Members, &catalogue);
        assert_eq!(
            codes(
                &members,
                Category::EnablingSkills,
                MatrixColumn::Supplementary
            ),
            ["EVERYONE"]
        );
        assert_eq!(
            codes(
                &members,
                Category::EnablingSkills,
                MatrixColumn::RoleSpecific
            ),
            ["CHAIR"]
        );
        let employees = build(MatrixAudience::Employees, &catalogue);
        assert_eq!(
            codes(
                &employees,
                Category::EnablingSkills,
                MatrixColumn::Supplementary
            ),
            ["EVERYONE", "STAFF"]
        );
        assert!(
            codes(
                &employees,
                Category::EnablingSkills,
                MatrixColumn::RoleSpecific
            )
            .is_empty()
        );
    }
}
