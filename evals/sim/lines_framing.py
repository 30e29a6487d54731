"""How the seller frames value: cost savings, speed, or features (the key competitor test).

Lines are the seller talking about our own product (Keelson), never about a competitor.
"""

from __future__ import annotations

PRODUCT: dict[str, list[str]] = {
    "cost_savings": [
        "Where customers see it first is cost: tighter routes mean fewer miles, and across {fleet} vehicles that is typically a {pct}% drop in fuel spend.",
        "In money terms, fleets your size usually cut cost per delivery by {pct} to {pct2} percent within two quarters.",
        "The overtime piece is where the savings compound: fewer late finishes, fewer premium-rate hours on the payroll.",
        "We'd build the model on your own numbers, but the savings usually pay for the licence inside {months} months.",
        "Most of the value is money you stop spending: fewer miles, fewer vehicles on the road at peak, less overtime.",
        "If you take fuel, overtime and failed deliveries together, the cost reduction is the headline for most finance teams.",
    ],
    "speed": [
        "The big thing is speed: planners go from two hours of routing to about ten minutes.",
        "We can have you live in about {weeks} weeks. Most teams dispatch from {us} by week three.",
        "Re-plans happen in seconds, so when a driver calls in sick you're not rebuilding the whole day.",
        "It's fast to roll out and fast to use. Your planners will be productive on day one.",
        "Speed is what people notice: the morning plan is done before the first coffee, and changes go out instantly.",
    ],
    "features": [
        "{us} does dynamic re-routing on live traffic, and your customers get a live ETA link.",
        "There's a driver app with proof of delivery, photos and signatures, and it all syncs back to your ERP.",
        "You also get the constraint engine: time windows, vehicle types, driver skills, all configurable without us.",
        "The feature people love most is the live map with every vehicle, every stop and the ETA drift in one view.",
        "On top of routing there's load planning, so the optimiser knows what fits on which vehicle.",
    ],
}

COUNTER: dict[str, list[str]] = {
    "cost_savings": [
        "Understood. On total cost per delivery we usually come out ahead, because the fuel and overtime savings are bigger than the licence difference. Happy to put that side by side.",
        "That's fair. If we compare total cost over three years rather than the licence line, the savings on fuel and overtime change the picture a lot.",
        "Makes sense to look at price. I'd just ask that we compare the money you save, not only the money you spend.",
    ],
    "speed": [
        "Fair. Where we tend to win is time to value: you'd be live in {weeks} weeks, not months.",
        "Understood. What customers tell us is that we're faster, both to roll out and for planners day to day.",
        "I hear you. Our edge is speed: the plan is ready in minutes, and the rollout is measured in weeks.",
    ],
    "features": [
        "Totally fair. The difference is in the depth: live re-routing, customer ETAs, the driver app. Worth comparing feature by feature.",
        "Understood. I'd suggest a side-by-side on functionality, especially re-routing and proof of delivery.",
        "That's fair. Where we stand out is the feature set, the constraint engine in particular.",
    ],
}

PRODUCT_NOTES: dict[str, list[str]] = {
    "cost_savings": [
        "Pitched the savings angle: fuel and overtime down roughly {pct}% for a fleet of {fleet}.",
        "Framed the value as cost per delivery, with payback inside {months} months.",
        "Led with money saved: fewer miles, fewer vehicles at peak, less overtime.",
    ],
    "speed": [
        "Emphasised speed: plans in minutes instead of hours, live in {weeks} weeks.",
        "Positioned on time to value and how quickly planners get productive.",
    ],
    "features": [
        "Showed the feature set: live re-routing, customer ETA links, the driver app.",
        "Walked through the constraint engine and load planning features.",
    ],
}

COUNTER_NOTES: dict[str, list[str]] = {
    "cost_savings": ["Repositioned on total cost per delivery rather than licence price."],
    "speed": ["Countered on time to value: live in {weeks} weeks."],
    "features": ["Countered on functional depth: re-routing, ETAs, proof of delivery."],
}
