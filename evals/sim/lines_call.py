"""Phrase bank for call transcripts: each variant is a short exchange of speaker turns.

A turn is ``"X|text"``: ``W`` the beat's person, ``O`` the beat's other person, ``R`` the
rep, ``S`` the solutions engineer (or the rep), ``B`` another buyer on the call (or W).
Slots: ``{w}`` full name, ``{wf}`` first name, ``{wt}`` title (same for ``o``), ``{comp}``,
``{when}``, ``{co}``, ``{us}``, ``{amt}``, ``{fleet}``, ``{depots}``, ``{pct}``, ``{pct2}``,
``{weeks}``, ``{months}``, ``{day}``, ``{ebref}`` (the budget holder by title, no name).
"""

from __future__ import annotations

CALL: dict[str, list[tuple[str, ...]]] = {
    "small_talk": [
        (
            "R|Hi {wf}, can you hear me okay?",
            "W|Loud and clear. Sorry, I'm in the car park, {day} has been a lot.",
        ),
        (
            "R|How was the long weekend?",
            "W|Too short, as always. We finally got the kids to the coast.",
        ),
        (
            "W|Before we start, did you survive the snow up there?",
            "R|Barely. I worked from the kitchen table for three days.",
        ),
        (
            "R|Morning {wf}, how's the week treating you?",
            "W|Busy. Peak season planning started early this year.",
        ),
        (
            "W|Sorry I'm a couple of minutes late, the previous meeting ran over.",
            "R|No worries at all, happens to everyone.",
        ),
        (
            "R|Did you catch the game last night?",
            "W|I did. Painful ending, let's not talk about it.",
        ),
        (
            "W|Is that a new office behind you?",
            "R|Same flat, new bookshelf. It's doing a lot of work.",
        ),
        (
            "R|How did the warehouse open day go?",
            "W|Good turnout, lots of cake, nobody fell off a forklift.",
        ),
        (
            "W|I just got back from Lisbon, so if I sound jet-lagged, that's why.",
            "R|Not a bad place to be jet-lagged from.",
        ),
        (
            "R|Thanks for jumping on, I know it's quarter-end.",
            "W|It is, but this one has been on my list for a while.",
        ),
        (
            "W|Give me one second, my dog has decided this is the moment to bark at the postman.",
            "R|Ha, take your time.",
        ),
        (
            "R|Are you back in the office full-time now?",
            "W|Three days a week. Today is a home day, hence the hoodie.",
        ),
        (
            "W|Quick one before we start, is it pouring where you are too?",
            "R|Sideways rain since breakfast.",
            "W|Glorious.",
        ),
        (
            "R|Did the move to the new building happen in the end?",
            "W|Last Monday. Half the team still can't find the kitchen.",
        ),
    ],
    "agenda": [
        (
            "R|Thanks for making the time. I'd love to hear how routing works at {co} today, then share a little about {us}, and we can see if there's a fit.",
        ),
        (
            "R|Quick agenda from my side: your current process, where it hurts, and whether it's worth a deeper look. Sound okay?",
            "W|Works for me.",
        ),
        (
            "R|I've got us down for thirty minutes. Mostly I want to listen, so tell me what prompted you to take the call.",
        ),
        (
            "R|So, the plan for today: ten minutes on how you plan routes now, ten on what we do, and the rest on questions.",
            "W|Perfect.",
        ),
        (
            "W|I have a hard stop at the half hour, so let's make it count.",
            "R|Understood. Let me start with a couple of questions about your operation.",
        ),
    ],
    "pain": [
        (
            "R|How do routes get planned today?",
            "W|We run about {fleet} vehicles out of {depots}, and routes are still planned in spreadsheets every night.",
        ),
        (
            "W|Our dispatchers spend the first two hours of every shift re-planning after cancellations.",
        ),
        ("W|Fuel is our second-biggest cost after labour, and we know the routes aren't tight.",),
        (
            "R|What happens when a customer calls asking where their delivery is?",
            "W|Honestly, someone phones the driver. We don't have a good answer.",
        ),
        ("W|Overtime is out of control. Drivers finish an hour late three days a week.",),
        ("W|We missed about {pct}% of delivery windows last quarter, which is well above target.",),
        ("W|Every time we add a depot the planning gets worse, and we're adding two this year.",),
        (
            "R|Who owns the plan day to day?",
            "W|Two planners, and it all lives in their heads. If one of them is off sick, we're in trouble.",
        ),
        (
            "W|The board keeps asking why cost per drop went up when volume went up too. I don't have a good answer.",
        ),
        (
            "R|Where does it break first during peak?",
            "W|Late afternoon. Everything that slipped in the morning lands on the evening shift.",
        ),
    ],
    "product": [],  # filled from FRAMING_LINES by framing
    "question": [
        (
            "W|How do you handle single sign-on? We're on Azure AD.",
            "S|SAML and OIDC both. Azure AD is the most common setup we see.",
        ),
        (
            "W|Does it integrate with SAP, or is that a custom project?",
            "S|There's a standard connector for order import, and a REST API for everything else.",
        ),
        (
            "W|Where is the data hosted?",
            "S|EU customers are hosted in Frankfurt, North American customers in Virginia.",
        ),
        (
            "W|What happens when drivers lose signal?",
            "S|The app works offline and syncs as soon as it reconnects.",
        ),
        (
            "W|How long does training take for the dispatchers?",
            "R|Usually two half-day sessions, plus office hours for the first month.",
        ),
        (
            "W|Can we keep our existing telematics boxes?",
            "S|Yes, we read from the common telematics APIs, so no new hardware.",
        ),
        (
            "W|Is there an audit log? Our auditors will ask.",
            "S|Every plan change is logged with who, when and what changed.",
        ),
        (
            "W|Can planners override the optimiser?",
            "S|Always. You can lock stops, pin drivers, and the engine plans around it.",
        ),
    ],
    "champion_push": [
        ("W|I walked {ebref} through the deck on {day}, and I'll keep pushing on my side.",),
        (
            "W|I've already told my team this is the direction I want, and I'm presenting it at our ops leadership meeting next week.",
        ),
        (
            "W|I had lunch with {ebref} yesterday and made the case for doing this before peak season. I'll keep at it.",
        ),
        (
            "W|Honestly, I'm the one banging the drum for this internally. I put it on the agenda for the quarterly planning review.",
        ),
        (
            "W|I forwarded your one-pager to our leadership group with a note saying we should move on this, and I'll chase them.",
        ),
        (
            "W|I've been lobbying for a proper routing tool for two years, and this time I've got the backing to push it through.",
        ),
        (
            "W|I pitched this to the other depot managers on {day}. Two of them are on board and I'm working on the third.",
        ),
        (
            "W|Leave the internal side with me. I'll get it in front of {ebref} and make sure it doesn't stall.",
        ),
        (
            "R|How is it landing internally?",
            "W|Well. I've been selling it hard to {ebref}, and the feedback so far is good. I'll keep the pressure on.",
        ),
    ],
    "champion_push:ic": [
        (
            "W|I've been making the case to my manager and the ops leads, and I walked {ebref} through the numbers on {day}. I'll keep pushing.",
        ),
        (
            "W|I presented our spreadsheet pain to the leadership team on {day} and told them this is what we need. I'll keep chasing it.",
        ),
        (
            "W|I've been pushing this internally for months. My director has the deck now and I'm chasing for a decision.",
        ),
    ],
    "enthusiast": [
        ("W|This looks really slick, I'll be honest.",),
        ("W|I like it. The map view alone would save my team a lot of squinting.",),
        ("W|Nice. That's a lot better than what we're doing now.",),
        ("W|Oh, that's neat. Can you show that bit again?", "S|Sure, one second."),
    ],
    "eb_attends": [
        (
            "O|I've asked {w} to join today. {wf} is our {wt}, and the budget for this sits with {wf}.",
            "W|Thanks. I'll be the one signing off on the spend, so I want to understand the numbers.",
        ),
        ("W|Hi all, {w}, {wt}. This comes out of my budget, so I wanted to hear it first-hand.",),
        ("W|I own the budget for this, so I'll be blunt: what does year one cost us all-in?",),
        (
            "O|Glad {wf} could make it. {wf} controls the budget for anything like this.",
            "W|Happy to be here. Walk me through the payback.",
        ),
        (
            "W|Since the money comes from my budget, I'd like to understand the payback period before anything else.",
        ),
    ],
    "eb_absent": [
        (
            "O|{w}, our {wt}, owns the budget. {wf} couldn't make it today, but I'll brief them afterwards.",
        ),
        (
            "O|Just so you know, the final call on spend is {w}'s. {wf} is our {wt} and was double-booked today.",
        ),
        (
            "O|{w} ({wt}) signs off on anything over fifty thousand. {wf} sends apologies, it's board prep week.",
        ),
        (
            "R|Will anyone from finance be joining?",
            "O|Not today. {w} is our {wt} and holds the budget, but only gets involved once there's a proposal.",
        ),
        (
            "O|The budget owner is {w}, our {wt}. {wf} wanted to be here but got pulled into an audit meeting.",
        ),
    ],
    "competitor": [
        ("W|Full transparency, we're also talking to {comp}. They demoed last week.",),
        ("W|{comp} reached out too, so we'll probably look at them alongside you.",),
        ("W|We have a call with {comp} on Thursday, just so you know where we are.",),
        ("R|Are you looking at anyone else?", "W|Our shortlist is you and {comp} at the moment."),
        ("W|{comp} is the other vendor in the mix. Their rep has been pretty persistent.",),
    ],
    "competitor:incumbent": [
        ("W|We're on {comp} today, and honestly the default is to just renew it.",),
        (
            "R|What are you using at the moment?",
            "W|The incumbent is {comp}. It's old, but everyone knows how to use it.",
        ),
        ("W|Our {comp} contract is up in the autumn, so we either renew or switch.",),
    ],
    "competitor:in-house": [
        (
            "W|Our IT team thinks they could build it in-house, so that's the alternative we're weighing.",
        ),
        ("W|There's a camp here that wants to build this in-house with our own developers.",),
        (
            "R|What's the alternative if you don't buy something?",
            "W|An in-house build on top of our ERP. It's on the table.",
        ),
    ],
    "competitor_lead": [
        ("W|I'll be straight with you, {comp} came in about twenty percent under your number.",),
        ("W|Some people here prefer {comp}. They say it's simpler.",),
        ("W|{comp} is offering a free pilot, which is hard to argue with.",),
    ],
    "competitor_lead:incumbent": [
        ("W|Sticking with {comp} is the path of least resistance for a lot of people here.",),
        (
            "W|The {comp} renewal quote just came in and it's cheap. That's the bar you're up against.",
        ),
    ],
    "competitor_lead:in-house": [
        ("W|Our CTO still thinks an in-house build would be cheaper over three years.",),
        (
            "W|The in-house option keeps coming back, because the developers are already on payroll.",
        ),
    ],
    "competitor_negated": [
        ("W|We looked at {comp} last year, but we're not looking at {comp} anymore.",),
        ("W|{comp} is off the table, their pricing model didn't work for us.",),
        ("W|We ruled out {comp} after the first call, in case you were wondering.",),
        ("R|Is {comp} still in the picture?", "W|No, we're not considering {comp} at all now."),
    ],
    "competitor_context": [
        ("W|Funny enough, I used to work at {comp} before I joined here.",),
        ("W|{comp} sponsored the panel I spoke on at the logistics expo. Nice people.",),
        (
            "W|One of our carriers runs {comp} on their own trucks, which has nothing to do with us.",
        ),
        (
            "W|Did you see {comp} got acquired? Or was that just a rumour?",
            "R|I saw the headline, not much more.",
        ),
    ],
    "bc_shared": [
        (
            "R|I've sent over the business case we built from your numbers. It's in your inbox, and I copied the ops leads.",
        ),
        (
            "W|I circulated the business case to our leadership team on {day}, with the payback numbers you helped me with.",
        ),
        ("W|The ROI summary went out to the exec team yesterday. I put my name on it.",),
        (
            "W|I shared the business case with the other directors on {day}, so they've all seen the numbers now.",
        ),
    ],
    "bc_suggested": [
        ("W|At some point we should probably put a business case together, but not yet.",),
        (
            "R|Down the line it might be worth building an ROI case, if that would help internally.",
            "W|Maybe later. Too early for that.",
        ),
        ("W|Finance will eventually want some kind of ROI case. We can worry about that later.",),
    ],
    "pricing": [
        (
            "W|Where did the number land?",
            "R|For your fleet it comes to {amt} per year, including onboarding.",
        ),
        (
            "R|The proposal is at {amt} annually, billed quarterly.",
            "W|Okay, that's roughly what I expected.",
        ),
        (
            "W|Can you go any lower than {amt}?",
            "R|There's some flexibility on a two-year term. Let me see what I can do.",
        ),
        (
            "R|On price: {amt} a year, and that includes the driver app licences.",
            "W|Right. I'll need to take that back.",
        ),
    ],
    "pricing:ballpark": [
        (
            "W|Ballpark, what are we talking about?",
            "R|For a fleet your size, usually somewhere around {amt} a year.",
        ),
        (
            "W|Before we go further, roughly what does this cost?",
            "R|Depends on scope, but similar customers pay about {amt} annually.",
        ),
    ],
    "pricing:final": [
        (
            "R|With the two-year term we can get to {amt}.",
            "W|That's closer. I'll take it back to the team.",
        ),
        (
            "W|If you can do {amt}, I think we have a deal on price.",
            "R|I can live with {amt} on a two-year term.",
        ),
        ("R|Final number from our side is {amt}, with payment terms at net 45.", "W|Understood."),
    ],
    "risk:security review": [
        ("W|Our security team will want to run their review, and last time that took six weeks.",)
    ],
    "risk:integration concerns": [
        ("W|My worry is the integration with our ERP. The last project like that took forever.",)
    ],
    "risk:driver adoption": [
        ("W|Drivers hated the last app we rolled out, so adoption is a real concern for me.",)
    ],
    "risk:timeline slip": [
        ("W|Realistically this might slip into next quarter, there's a lot going on.",)
    ],
    "risk:budget pressure": [
        ("W|Budgets are tighter than we expected this year, so every line is getting scrutinised.",)
    ],
    "risk:legal review": [
        ("W|Legal has a few redlines on the liability cap, and that could take a while.",)
    ],
    "next_confirmed": [
        (
            "R|Shall we book the next session? How does {when} look?",
            "W|{when} works. Send the invite.",
        ),
        (
            "W|Can we do {when}?",
            "R|Perfect, {when} it is. I'll send the invite now.",
            "W|Great, I'll accept it as soon as it lands.",
        ),
        ("R|I'll send an invite for {when} then.", "W|Yes, that's in my calendar now."),
        ("W|Let's lock in {when} for the follow-up.", "R|Locked in. Invite coming your way."),
    ],
    "next_proposed": [
        (
            "R|Could we pencil in {when}?",
            "W|Maybe. I need to check with the team first, I'll get back to you.",
        ),
        (
            "W|Possibly {when}, but let me look at my calendar before we commit.",
            "R|Of course, just let me know.",
        ),
        ("R|Would {when} work for a follow-up?", "W|I'm not sure yet, I'll confirm by email."),
    ],
    "next_vague": [
        (
            "W|Let's reconnect in a few weeks once things settle down.",
            "R|Sounds good, I'll follow up.",
        ),
        ("W|I'll circle back once I've talked to the team.", "R|Great, talk soon."),
        ("R|What's the best next step?", "W|Let me think about it and get back to you."),
        ("W|Let's pick this up again after the holidays.", "R|Okay. Enjoy the break."),
    ],
    "negotiation": [
        ("R|Thanks all. Today I'd like to close out the open commercial points.",),
        (
            "R|I think we're down to two things: term length and the payment schedule.",
            "W|Agreed, let's go through them.",
        ),
    ],
    "shock_champion_left": [
        (
            "O|Before we start, I should tell you that {w} has left {co}. {wf}'s last day was {day}. I'm picking this up for now.",
        ),
        (
            "R|Is {wf} joining us?",
            "O|I'm afraid not. {w} left the company, {day} was the last day. You'll be dealing with me.",
        ),
    ],
    "shock_budget": [
        (
            "W|Bad news, I'm afraid. Finance froze all new spend on {day}, effective immediately, until the next fiscal year.",
        ),
        (
            "W|I have to be honest with you: as of {day} there's a budget freeze on anything that isn't already contracted.",
        ),
    ],
}
