package main

import "time"

// ---- EU, US, UK and others -------------------------------------------------------

func euProvider(r *rec, i int, modality string) {
	r.Jurisdiction = pick(euJuris, i, len(r.ID))
	r.Role, r.Modality = "provider", modality
	r.Provider = pick(euProviders, i, 0)
	r.Service = map[string]string{"image": "image-gen", "audio": "voice-gen", "video": "video-gen", "text": "assistant"}[modality]
	r.Account = account("acc_", r.ID)
	// Placed on the market after 2 August 2026: no Omnibus grace period (see eu-img-legacy).
	r.ProviderInfo = &providerInfo{Country: r.Jurisdiction, PlacedOnMarket: "2026-08-10T00:00:00Z"}
	r.Media = mediaFor(modality, r.ID, i, r.Provider+" "+r.Service)
	if modality != "text" {
		r.Text = pick(enCaption, i, 0)
	}
}

func euMarked(r *rec, i int, t time.Time, modality string) {
	euProvider(r, i, modality)
	tool := map[string]string{"lumen-gen": "Lumen Studio", "atelier-ia": "Atelier IA", "nordlicht-ai": "Nordlicht Create", "pixelforge": "PixelForge"}[r.Provider]
	r.C2PA = c2paGenAI(tool, pick([]string{"3.2.1", "2.8.0", "4.0.2"}, i, 0), tool+" GmbH", t, r.ID, dstTrained, "Trusted")
	r.IPTC = dstTrained
	if i%3 == 0 {
		r.Watermark = &watermark{Detected: true, Vendor: "synthid", Payload: hexOf("wm:"+r.ID, 16)}
	}
}

func platformPost(r *rec, i int, juris, platform, modality, text string) {
	r.Jurisdiction, r.Role, r.Modality = juris, "platform", modality
	r.Platform = platform
	r.Account = account("acc_", r.ID)
	r.Text = text
	r.Media = mediaFor(modality, r.ID, i, "")
}

func usProvider(r *rec, i int, modality string) {
	r.Jurisdiction = pick(usJuris, i, len(r.ID))
	r.Role, r.Modality = "provider", modality
	r.Provider = pick(usProviders, i, 0)
	r.Service = map[string]string{"image": "image-gen", "video": "video-gen", "text": "assistant"}[modality]
	r.Account = account("acc_", r.ID)
	r.ProviderInfo = &providerInfo{Country: "US", MAU: 2_400_000 + int64(i)*150_000, CAAccessible: yes()}
	r.Media = mediaFor(modality, r.ID, i, r.Provider+" "+r.Service)
	if modality != "text" {
		r.Text = pick(enCaption, i, 2)
	}
}

func politicalAd(r *rec, i int, juris string) {
	r.Jurisdiction, r.Role, r.Modality = juris, "platform", pick([]string{"video", "image", "audio"}, i, 0)
	r.Platform = pick(usPlatforms, i, 0)
	r.Account = account("adv_", r.ID)
	r.Text = pick([]string{
		"Yes on Measure 12: cleaner parks, safer streets.",
		"Re-elect Dana Whitfield for State Assembly District 9.",
		"Vote No on Prop 41 — it raises your water bill.",
		"Paid for by Neighbors for Affordable Transit.",
		"Sam Ortega for City Council: listening first.",
	}, i, 0)
	r.Media = mediaFor(r.Modality, r.ID, i, "")
	r.Context = &context{PoliticalAd: yes()}
}

func deepfakePost(r *rec, i int, juris []string, platforms []string) {
	platformPost(r, i, pick(juris, i, 0), pick(platforms, i, 0), pick([]string{"image", "video"}, i, 0), "")
	r.DeclaredAI = nil
	r.Signals = &signals{DeepfakeScore: score(0.93 + float64(i%5)*0.01), DepictsRealPerson: yes(), Realistic: yes(), FaceSwap: yes()}
}

func groupsWorld() []group {
	return []group{
		// EU providers: Art. 50(2) machine-readable marking.
		{name: "eu-img-c2pa-ok", n: 15, fill: func(i int, t time.Time, r *rec) { euMarked(r, i, t, "image") }},
		{name: "eu-vid-c2pa-ok", n: 4, fill: func(i int, t time.Time, r *rec) { euMarked(r, i, t, "video") }},
		{name: "eu-img-nomark", n: 10, fill: func(i int, t time.Time, r *rec) { euProvider(r, i, "image") }},
		{name: "eu-vid-nomark", n: 5, fill: func(i int, t time.Time, r *rec) { euProvider(r, i, "video") }},
		// Before 2 August 2026 Art. 50 does not apply yet.
		{name: "eu-img-prelaw", n: 4, at: time.Date(2026, 7, 20, 8, 0, 0, 0, time.UTC), fill: func(i int, t time.Time, r *rec) {
			euProvider(r, i, "image")
			r.ProviderInfo.PlacedOnMarket = "2025-03-01T00:00:00Z"
		}},
		// A system placed on the market before 2 August 2026 has until 2 December 2026
		// (LABELING.md EU-50-2).
		{name: "eu-img-legacy", n: 3, fill: func(i int, t time.Time, r *rec) {
			euProvider(r, i, "image")
			r.ProviderInfo.PlacedOnMarket = "2026-05-01T00:00:00Z"
		}},
		{name: "eu-img-wmonly", n: 5, fill: func(i int, t time.Time, r *rec) {
			euProvider(r, i, "image")
			r.Watermark = &watermark{Detected: true, Vendor: pick([]string{"synthid", "imatag", "digimarc"}, i, 0), Payload: hexOf("wm:"+r.ID, 16)}
		}},
		{name: "eu-aud-iptc", n: 4, fill: func(i int, t time.Time, r *rec) {
			euProvider(r, i, "audio")
			r.IPTC = dstTrained
		}},
		// A CN provider serving the EU: its GB 45438 label counts as a marking.
		{name: "eu-img-cnlabel", n: 3, fill: func(i int, t time.Time, r *rec) {
			euProvider(r, i, "image")
			p := pick(cnProducers, i, 0)
			r.Provider, r.ProviderInfo.Country = p.name, "CN"
			r.Labels = &labels{Implicit: []implicit{carrier("image", producedBy(p, r.ID).json(), i)}}
		}},
		// C2PA present but tampered: claim signature mismatch (C2PA-01 fail).
		{name: "eu-img-c2pa-invalid", n: 4, fill: func(i int, t time.Time, r *rec) {
			euMarked(r, i, t, "image")
			r.IPTC, r.Watermark = "", nil
			r.C2PA.ValidationState = "Invalid"
			r.C2PA.StatusCodes = []string{pick([]string{"claimSignature.mismatch", "assertion.dataHash.mismatch"}, i, 0)}
		}},
		// Valid but signed with an untrusted credential (C2PA-01 warn).
		{name: "eu-img-c2pa-untrusted", n: 3, fill: func(i int, t time.Time, r *rec) {
			euMarked(r, i, t, "image")
			r.Watermark = nil
			r.C2PA.ValidationState = "Valid"
			r.C2PA.StatusCodes = []string{"signingCredential.untrusted"}
			r.C2PA.SignerOrg = "self-signed"
		}},
		// A photo edited with generative fill (C2PA-02 PARTIAL).
		{name: "eu-img-c2pa-partial", n: 3, fill: func(i int, t time.Time, r *rec) {
			euMarked(r, i, t, "image")
			r.IPTC, r.Watermark = dstComposite, nil
			r.C2PA = c2paGenAI("PixelForge", "4.0.2", "PixelForge GmbH", t, r.ID, dstComposite, "Trusted")
			r.C2PA.Ingredients = []c2paIngredient{{Relationship: "parentOf", DigitalSourceTypes: []string{dstCapture}}}
		}},

		// Deepfakes on EU platforms.
		{name: "eu-df-ncii", n: 5, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, euJuris[1:], euPlatforms)
			r.Signals.Intimate = yes()
		}},
		{name: "eu-df-consent", n: 3, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, euJuris[2:], euPlatforms)
			r.Signals.Intimate, r.Signals.Consent = yes(), yes()
		}},
		// A realistic deepfake of a real person shown without disclosure (EU-50-4a).
		{name: "eu-df-undisclosed", n: 5, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, euJuris[3:], euPlatforms)
			r.Text = pick([]string{"Minister announces surprise resignation (video)", "Leaked call: CEO admits the recall was a cover-up", "Mayor caught on camera at the protest", "Footballer's apology speech", "Party leader endorses rival"}, i, 0)
		}},
		{name: "eu-df-disclosed", n: 4, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, euJuris[1:], euPlatforms)
			r.Text = pick([]string{"AI-generated: what if the chancellor sang the budget?", "Synthetic re-enactment of the 1969 moon landing speech", "AI-generated voice of the commentator, made with permission", "Deepfake explainer: spot the signs"}, i, 0)
			r.Labels = &labels{Explicit: &explicit{Present: true, Text: "AI-generated", Type: "text", Position: "start", SizeRatio: 0.06, DurationS: 4}}
		}},
		{name: "eu-df-satire", n: 2, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, euJuris[4:], euPlatforms)
			r.Text = "Satire: the prime minister as a Renaissance painting"
			r.Context = &context{Artistic: yes()}
			r.Labels = &labels{Explicit: &explicit{Present: true, Text: "AI", Type: "graphic", Position: "corner", SizeRatio: 0.03}}
		}},

		// EU texts.
		{name: "eu-txt-ok", n: 16, fill: func(i int, t time.Time, r *rec) {
			if i < len(euOther) {
				o := euOther[i]
				platformPost(r, i, o.juris, pick(euPlatforms, i, 0), "text", o.text)
				r.DeclaredAI = no()
				return
			}
			euProvider(r, i, "text")
			r.Text = pick(append(append([]string{}, enChat...), enNews...), i, 0)
			r.Watermark = textWatermark(r.ID) // Art. 50(2) covers text too
		}},
		// AI text on a matter of public interest, not reviewed by an editor (EU-50-4b).
		// Art. 50(4) ¶2 is a deployer duty: a news site publishing AI text.
		{name: "eu-txt-pubint-noreview", n: 4, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 6), pick(euPlatforms, i, 2), "text", pick(enNews, i, 1))
			r.DeclaredAI = yes()
			r.Context = &context{PublicInterest: yes()}
		}},
		{name: "eu-txt-pubint-edited", n: 3, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 7), pick(euPlatforms, i, 2), "text", pick(enNews, i, 3))
			r.DeclaredAI = yes()
			r.Context = &context{PublicInterest: yes(), EditorialReviewBy: pick([]string{"night desk", "M. Keller, editor", "regional desk"}, i, 0)}
		}},
		{name: "eu-txt-fraud", n: 4, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 4), pick(euPlatforms, i, 0), "text", pick(enFraud, i, 0))
		}},
		{name: "eu-txt-extremism", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 1), pick(euPlatforms, i, 1), "text", pick(enExtremism, i, 0))
		}},
		{name: "eu-txt-weapons", n: 3, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 2), pick(euPlatforms, i, 2), "text", pick(enWeapons, i, 0))
		}},
		{name: "eu-txt-hate", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 3), pick(euPlatforms, i, 0), "text", pick(enHate, i, 0))
		}},
		// Gambling ads are not an EU-wide rule.
		{name: "eu-txt-gambling", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(euJuris, i, 5), pick(euPlatforms, i, 1), "text", pick(enGambling, i, 0))
		}},
		{name: "eu-txt-pii", n: 2, fill: func(i int, t time.Time, r *rec) {
			euProvider(r, i, "text")
			r.Text = pick(enPII, i, 0)
			r.Watermark = textWatermark(r.ID)
		}},

		// Child sexual abuse signals block everywhere (no text: upstream classifier flags).
		{name: "gl-csam-sig", n: 3, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick([]string{"FR", "US", "CN"}, i, 0), pick([]string{"kiosko", "townsquare", "weilan-social"}, i, 0), "image", "")
			r.Signals = &signals{MinorSuspected: yes(), Intimate: yes(), AIScore: score(0.97)}
		}},

		// United States.
		{name: "us-txt-ok", n: 16, fill: func(i int, t time.Time, r *rec) {
			if i%2 == 0 {
				usProvider(r, i, "text")
				r.Text = pick(append(append([]string{}, enChat...), enProduct...), i/2, 1)
				return
			}
			platformPost(r, i, pick(usJuris, i, 0), pick(usPlatforms, i, 0), "text", pick(enReview, i/2, 0))
			r.DeclaredAI = no()
		}},
		{name: "us-txt-fraud", n: 4, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(usJuris, i, 1), pick(usPlatforms, i, 0), "text", pick(enFraud, i, 1))
		}},
		{name: "us-txt-selfharm", n: 2, fill: func(i int, t time.Time, r *rec) {
			usProvider(r, i, "text")
			r.Text = pick(enSelfHarm, i, 0)
		}},
		{name: "us-txt-extremism", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(usJuris, i, 2), pick(usPlatforms, i, 1), "text", pick(enExtremism, i, 1))
		}},
		// The US pack has no weapons, drugs or disinformation rule.
		{name: "us-txt-weapons", n: 3, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(usJuris, i, 3), pick(usPlatforms, i, 0), "text", pick(enWeapons, i, 1))
		}},
		{name: "us-txt-drugs", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, pick(usJuris, i, 4), pick(usPlatforms, i, 1), "text", pick(enDrugs, i, 0))
		}},
		{name: "us-txt-disinfo", n: 1, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "US-CA", "townsquare", "text", enDisinfo[0])
		}},
		{name: "us-txt-pii", n: 4, fill: func(i int, t time.Time, r *rec) {
			usProvider(r, i, "text")
			r.Text = pick(enPII, i, 0)
		}},
		// Covered provider (> 1 million monthly users, accessible in California).
		{name: "us-img-c2pa-ok", n: 6, fill: func(i int, t time.Time, r *rec) {
			usProvider(r, i, "image")
			r.Jurisdiction = pick([]string{"US-CA", "US"}, i, 0)
			tool := map[string]string{"brightpixel": "BrightPixel", "northwind-ai": "Northwind Imagine", "sierra-studio": "Sierra Studio"}[r.Provider]
			r.C2PA = c2paGenAI(tool, "1."+string(rune('0'+i%10))+".0", tool+" Inc.", t, r.ID, dstTrained, "Trusted")
			r.IPTC = dstTrained
		}},
		// Covered provider with no latent disclosure at all (US-CA-942).
		{name: "us-ca-img-nolatent", n: 4, fill: func(i int, t time.Time, r *rec) {
			usProvider(r, i, "image")
			r.Jurisdiction = "US-CA"
		}},
		// California political ads (AB 2355).
		{name: "us-ca-polad-nodisc", n: 5, fill: func(i int, t time.Time, r *rec) {
			politicalAd(r, i, "US-CA")
			r.DeclaredAI = yes()
			if i%2 == 1 {
				r.Context.Disclaimer = "Paid for by Neighbors for Affordable Transit."
			}
		}},
		{name: "us-ca-polad-score", n: 2, fill: func(i int, t time.Time, r *rec) {
			politicalAd(r, i, "US-CA")
			r.Signals = &signals{AIScore: score(0.86 + float64(i)*0.07)}
			r.Context.Disclaimer = "Paid for by Citizens for Better Parks."
		}},
		{name: "us-ca-polad-disc", n: 5, fill: func(i int, t time.Time, r *rec) {
			politicalAd(r, i, "US-CA")
			r.DeclaredAI = yes()
			r.Context.Disclaimer = pick([]string{
				adDisclaimer,
				"AD GENERATED OR SUBSTANTIALLY ALTERED USING ARTIFICIAL INTELLIGENCE",
				"Paid for by Neighbors for Affordable Transit. " + adDisclaimer,
			}, i, 0)
		}},
		{name: "us-ca-polad-human", n: 3, fill: func(i int, t time.Time, r *rec) {
			politicalAd(r, i, "US-CA")
			r.DeclaredAI = no()
			r.Signals = &signals{AIScore: score(0.05 + float64(i)*0.04)}
		}},
		// The California rule does not apply in Texas.
		{name: "us-tx-polad", n: 2, fill: func(i int, t time.Time, r *rec) {
			politicalAd(r, i, "US-TX")
			r.DeclaredAI = yes()
		}},

		// United Kingdom.
		{name: "uk-txt-ok", n: 10, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "UK", pick(ukPlatforms, i, 0), "text", pick(append(append([]string{}, enReview...), enNews...), i, 2))
			r.DeclaredAI = pick([]*bool{no(), yes()}, i, 0)
		}},
		{name: "uk-df-ncii", n: 5, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, []string{"UK"}, ukPlatforms)
			r.Signals.Intimate = yes()
		}},
		{name: "uk-df-consent", n: 2, fill: func(i int, t time.Time, r *rec) {
			deepfakePost(r, i, []string{"UK"}, ukPlatforms)
			r.Signals.Intimate, r.Signals.Consent = yes(), yes()
		}},
		{name: "uk-txt-selfharm", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "UK", pick(ukPlatforms, i, 0), "text", pick(enSelfHarm, i, 0))
		}},
		{name: "uk-txt-fraud", n: 3, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "UK", pick(ukPlatforms, i, 1), "text", pick(enFraud, i, 2))
		}},
		{name: "uk-txt-drugs", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "UK", pick(ukPlatforms, i, 0), "text", pick(enDrugs, i, 1))
		}},
		{name: "uk-txt-hate", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "UK", pick(ukPlatforms, i, 1), "text", pick(enHate, i, 1))
		}},

		// Jurisdictions no pack names.
		{name: "br-txt-ok", n: 4, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "BR", "praca-social", "text", pick(ptBR, i, 0))
			r.DeclaredAI = no()
		}},
		{name: "br-img-nolabel", n: 3, fill: func(i int, t time.Time, r *rec) {
			r.Jurisdiction, r.Role, r.Modality = "BR", "provider", "image"
			r.Provider, r.Service = "ipe-ia", "image-gen"
			r.Account = account("acc_", r.ID)
			r.Media = mediaFor("image", r.ID, i, "ipe-ia image-gen")
			r.Text = pick([]string{"Ilustração de um ipê amarelo florido", "Praia de Copacabana ao amanhecer, estilo aquarela", "Logo minimalista para uma padaria"}, i, 0)
		}},
		{name: "br-txt-gambling", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "BR", "praca-social", "text", pick([]string{"Ganhe já o seu online casino bonus de 200% no primeiro depósito!", "Cadastre-se hoje: online casino bonus e giros grátis."}, i, 0))
		}},
		{name: "jp-txt-ok", n: 2, fill: func(i int, t time.Time, r *rec) {
			platformPost(r, i, "JP", "hiroba", "text", pick(jaText, i, 0))
			r.DeclaredAI = no()
		}},
	}
}

var groups = append(groupsCN(), groupsWorld()...)

// textWatermark is an upstream text-watermark detector's hit (e.g. a token-level
// watermark), the machine-readable marking an EU text provider would carry.
func textWatermark(id string) *watermark {
	return &watermark{Detected: true, Vendor: "synthid-text", Payload: hexOf("wm:"+id, 16)}
}
