package main

import (
	"time"
)

// group is a set of records made alike to exercise one behaviour. Its name prefixes
// the ids of its records ("cn-img-nolabel-003"); no name may be another's prefix.
type group struct {
	name   string
	n      int
	at     time.Time // non-zero: records are dated from here, 7 h apart, not in stream order
	cnTime bool      // format the time in Beijing time although the record has no jurisdiction
	fill   func(i int, t time.Time, r *rec)
}

// ---- China: providers -----------------------------------------------------------

func cnProvider(r *rec, i int, modality, service string) party {
	p := pick(cnProducers, i, len(r.ID))
	r.Jurisdiction, r.Role, r.Modality = "CN", "provider", modality
	r.Provider, r.Service = p.name, service
	r.ProviderInfo = &providerInfo{Filed: yes(), Country: "CN"}
	r.Account = account("u", r.ID)
	if m := mediaFor(modality, r.ID, i, p.name+" "+service); m != nil {
		r.Media = m
	}
	return p
}

func cnChat(r *rec, i int, text string) {
	cnProvider(r, i, "text", "chat")
	r.Text = text
	r.Context = &context{DeepSynthesis: yes(), Interactive: yes()}
}

// cnImage is a provider image with a valid label and a visible corner label.
func cnImage(r *rec, i int, modality string, caption string) aigcFields {
	svc := map[string]string{"image": "text-to-image", "audio": "tts", "video": "text-to-video", "other": "doc-writer", "virtual": "virtual-space"}[modality]
	p := cnProvider(r, i, modality, svc)
	r.Text = caption
	f := producedBy(p, r.ID)
	r.Labels = &labels{Implicit: []implicit{carrier(modality, f.json(), i)}}
	switch modality {
	case "image":
		r.Labels.Explicit = &explicit{Present: true, Text: "AI生成", Type: "text", Position: pick([]string{"corner", "edge"}, i, 0), SizeRatio: 0.06}
	case "audio":
		r.Labels.Explicit = &explicit{Present: true, Text: "本音频由人工智能合成", Type: "voice", Position: "start", DurationS: 2.4}
	case "video":
		r.Labels.Explicit = &explicit{Present: true, Text: "本视频由AI生成", Type: "text", Position: "corner", SizeRatio: 0.05, StartS: 0, DurationS: 3}
	}
	return f
}

// cnBareImage is a provider file with no label at all.
func cnBareImage(r *rec, i int, modality string, caption string) {
	svc := map[string]string{"image": "text-to-image", "audio": "tts", "video": "text-to-video", "other": "doc-writer"}[modality]
	cnProvider(r, i, modality, svc)
	r.Text = caption
}

func cnCaption(modality string, i int) string {
	switch modality {
	case "audio":
		return pick(zhAudioCaption, i, 0)
	case "video":
		return pick(zhVideoCaption, i, 0)
	}
	return pick(zhImageCaption, i, 0)
}

// ---- China: platforms -----------------------------------------------------------

func cnUpload(r *rec, i int, modality string) party {
	p := pick(cnPlatforms, i, len(r.ID))
	r.Jurisdiction, r.Role, r.Modality = "CN", "platform", modality
	r.Platform = p.name
	r.Account = account("u", r.ID)
	r.Media = mediaFor(modality, r.ID, i, pick([]string{"", "Lavf60.16.100", "Android 15"}, i, 0))
	r.Text = pick(zhUpload, i, 0)
	return p
}

func contentID(p party, id string) string { return p.name[:2] + hexOf("cid:"+id, 12) }

// ---- malformed implicit labels --------------------------------------------------

// badPayloads are raw implicit-label strings that do not parse as an Annex E object.
var badPayloads = []string{
	`{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"xing`, // truncated
	`Label=1;ContentProducer=001191310115MA1K4LQX8B10000;ProduceID=yunque-77f1`,              // key=value, not JSON
	`{'AIGC': {'Label': '1', 'ContentProducer': '001191440300MA5G2WTR3N10000'}}`,             // Python repr
	`<AIGC><Label>1</Label></AIGC>`, // XML
	``,                              // empty shell
}

func groupsCN() []group {
	return []group{
		// Text from chat, copywriting and news services, labelled in the text.
		{name: "cn-txt-chat-ok", n: 18, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, labelledText(pick(zhChat, i, 0), i))
			if i%2 == 0 {
				r.Labels = &labels{Interface: yes()}
			}
		}},
		{name: "cn-txt-copy-ok", n: 10, fill: func(i int, t time.Time, r *rec) {
			cnProvider(r, i, "text", "copywriter")
			r.Text = pick(zhProduct, i, 0) + "（AI生成文案）"
			r.Context = &context{DeepSynthesis: yes()}
		}},
		{name: "cn-txt-news-ok", n: 8, fill: func(i int, t time.Time, r *rec) {
			cnProvider(r, i, "text", "news-digest")
			r.Text = "本摘要由人工智能生成：" + pick(zhNews, i, 0)
			r.Context = &context{DeepSynthesis: yes(), PublicInterest: yes()}
		}},
		// Chat answers with no label in the text and none in the interface (CN-EXP-01).
		{name: "cn-txt-nolabel", n: 10, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, pick(zhChat, i, 5))
		}},
		// No label in the text, but a persistent label in the chat interface (passes CN-EXP-01).
		{name: "cn-txt-uilabel", n: 6, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, pick(zhChat, i, 11))
			r.Labels = &labels{Interface: yes()}
		}},
		// A provider whose algorithm filing is not on record (industry layer).
		{name: "cn-txt-unfiled", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, labelledText(pick(zhChat, i, 2), i))
			r.ProviderInfo.Filed = no()
			r.Provider = pick([]string{"huiyu-lab", "moxing-studio"}, i, 0)
		}},
		{name: "cn-txt-pii", n: 4, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, labelledText(pick(zhPII, i, 0), i))
		}},
		// Degenerate output (technology layer): a repetition loop, a leaked system prompt and
		// chat-template token, an English answer declared Chinese, mis-decoded garbage.
		{name: "cn-txt-degenerate", n: 4, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, labelledText(pick(zhDegenerate, i, 0), i))
			r.Language = "zh"
		}},
		// Lexicon phrases: generated scripts (provider) and posts (platform).
		{name: "cn-txt-fraud", n: 5, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, labelledText(pick(zhFraud, i, 0), i))
		}},
		{name: "cn-txt-gambling", n: 4, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhGambling, i, 0), no()
		}},
		{name: "cn-txt-weapons", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhWeapons, i, 0), no()
		}},
		{name: "cn-txt-drugs", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhDrugs, i, 0), no()
		}},
		{name: "cn-txt-rumour", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhRumour, i, 0), no()
		}},
		{name: "cn-txt-nudify", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhNudify, i, 0), no()
		}},
		{name: "cn-txt-selfharm", n: 2, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhSelfHarm, i, 0), no()
		}},
		{name: "cn-txt-extremism", n: 2, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Media, r.Text, r.DeclaredAI = nil, pick(zhExtremism, i, 0), no()
		}},

		// Provider images: valid label, none, malformed, conflicting, duplicated.
		{name: "cn-img-label-ok", n: 24, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "image", cnCaption("image", i))
		}},
		{name: "cn-img-nolabel", n: 10, fill: func(i int, t time.Time, r *rec) {
			cnBareImage(r, i, "image", cnCaption("image", i+3))
		}},
		// Before the Measures took effect (2025-09-01): no duty yet.
		{name: "cn-img-prelaw", n: 3, at: time.Date(2025, 8, 20, 2, 0, 0, 0, time.UTC), fill: func(i int, t time.Time, r *rec) {
			cnBareImage(r, i, "image", cnCaption("image", i+6))
		}},
		{name: "cn-img-badjson", n: 5, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "image", cnCaption("image", i+1))
			r.Labels.Implicit[0].Raw = pick(badPayloads, i, 0)
		}},
		{name: "cn-img-badenum", n: 4, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+2))
			if i == 3 { // numeric 1: a warning, not a failure (CN-IMP-04)
				raw := f.json()
				r.Labels.Implicit[0].Raw = raw[:len(`{"AIGC":{"Label":`)] + `1` + raw[len(`{"AIGC":{"Label":"1"`):]
				return
			}
			f.Label = pick([]string{"AIGC", "true", "0"}, i, 0)
			r.Labels.Implicit[0].Raw = f.json()
		}},
		{name: "cn-img-missingkey", n: 4, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+4))
			switch i {
			case 0: // no ReservedCode1 / ReservedCode2 (CN-IMP-03)
				r.Labels.Implicit[0].Raw = `{"AIGC":{"Label":"1","ContentProducer":"` + f.ContentProducer + `","ProduceID":"` + f.ProduceID + `","ContentPropagator":"` + f.ContentPropagator + `","PropagateID":"` + f.PropagateID + `"}}`
			case 1: // lower-case keys (CN-IMP-03 is case-sensitive)
				r.Labels.Implicit[0].Raw = `{"AIGC":{"label":"1","contentProducer":"` + f.ContentProducer + `","produceID":"` + f.ProduceID + `","reservedCode1":"","contentPropagator":"` + f.ContentPropagator + `","propagateID":"` + f.PropagateID + `","reservedCode2":""}}`
			case 2: // empty ProduceID (CN-IMP-05)
				f.ProduceID, f.PropagateID = "", ""
				r.Labels.Implicit[0].Raw = f.json()
			default: // empty ContentProducer (CN-IMP-05)
				f.ContentProducer, f.ContentPropagator = "", ""
				r.Labels.Implicit[0].Raw = f.json()
			}
		}},
		// The bare inner object, without the {"AIGC": …} wrapper: accepted by CN-IMP-02.
		{name: "cn-img-bareobj", n: 2, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+5))
			r.Labels.Implicit[0].Raw = f.inner()
		}},
		// Producer given as a company name (CN-IMP-06 charset, CN-IMP-07 "name, not code")
		// or a 27-character code with a wrong role digit (CN-IMP-07).
		{name: "cn-img-badcode", n: 3, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+7))
			switch i {
			case 0:
				f.ContentProducer, f.ContentPropagator = "星河智算科技有限公司", "星河智算科技有限公司"
			case 1:
				f.ContentProducer = f.ContentProducer[:22] + "3" + f.ContentProducer[23:]
				f.ContentPropagator = f.ContentProducer
			default:
				f.ContentProducer, f.ContentPropagator = "Yunque Tech Co., Ltd.", "Yunque Tech Co., Ltd."
			}
			r.Labels.Implicit[0].Raw = f.json()
		}},
		// Two carriers that disagree (CN-IMP-08 conflict, CN-TAMPER-01).
		{name: "cn-img-conflict", n: 4, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+8))
			g := f
			if i%2 == 0 {
				g.Label = "3"
			} else {
				g.ProduceID = g.ProduceID[:len(g.ProduceID)-4] + "0000"
				g.PropagateID = g.ProduceID
			}
			r.Labels.Implicit = append(r.Labels.Implicit, implicit{Carrier: "png:tEXt:AIGC", Path: "tEXt[AIGC]", Raw: g.json(), Offset: 33})
		}},
		// Two identical carriers (CN-IMP-08 duplicate).
		{name: "cn-img-dup", n: 3, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+9))
			r.Labels.Implicit = append(r.Labels.Implicit, implicit{Carrier: "png:tEXt:AIGC", Path: "tEXt[AIGC]", Raw: f.json(), Offset: 33})
		}},
		// At generation the propagation fields differ from the production ones (CN-IMP-09).
		{name: "cn-img-firstwrite", n: 2, fill: func(i int, t time.Time, r *rec) {
			f := cnImage(r, i, "image", cnCaption("image", i+10))
			f.ContentPropagator, f.PropagateID = cnPlatforms[i].code, "tmp-"+hexOf("fw:"+r.ID, 8)
			r.Labels.Implicit[0].Raw = f.json()
		}},

		// Audio, video, virtual scenes and documents.
		{name: "cn-aud-label-ok", n: 8, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "audio", cnCaption("audio", i))
		}},
		{name: "cn-aud-nolabel", n: 5, fill: func(i int, t time.Time, r *rec) {
			cnBareImage(r, i, "audio", cnCaption("audio", i+2))
		}},
		{name: "cn-vid-label-ok", n: 8, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "video", cnCaption("video", i))
		}},
		{name: "cn-vid-nolabel", n: 5, fill: func(i int, t time.Time, r *rec) {
			cnBareImage(r, i, "video", cnCaption("video", i+1))
		}},
		// Implicit label fine, visible label too short and too small (CN-EXP-03).
		{name: "cn-vid-shortlabel", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "video", cnCaption("video", i+3))
			r.Labels.Explicit.DurationS, r.Labels.Explicit.SizeRatio = 1, 0.02
		}},
		{name: "cn-vir-ok", n: 4, fill: func(i int, t time.Time, r *rec) {
			cnProvider(r, i, "virtual", "virtual-space")
			r.Text = pick([]string{"虚拟展厅：宋代山水画数字展", "AI虚拟导游讲解故宫中轴线", "元宇宙发布会会场", "虚拟偶像互动直播间"}, i, 0)
			r.Labels = &labels{Interface: yes(), Explicit: &explicit{Present: true, Text: "本场景由人工智能生成", Type: "text", Position: "interface"}}
			r.Context = &context{Interactive: yes()}
		}},
		{name: "cn-vir-nolabel", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnProvider(r, i, "virtual", "virtual-space")
			r.Text = pick([]string{"虚拟看房：三室两厅样板间", "AI生成的古镇漫游场景", "虚拟客服形象对话窗口"}, i, 0)
			r.Context = &context{Interactive: yes()}
		}},
		// Generated documents (file-text in LABELING.md): PDF carrier, or none.
		{name: "cn-doc-label-ok", n: 2, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "other", pick([]string{"AI生成的季度销售分析报告", "AI撰写的产品说明书"}, i, 0))
		}},
		{name: "cn-doc-nolabel", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnBareImage(r, i, "other", pick([]string{"AI生成的会议纪要", "AI生成的投标文件草稿", "AI撰写的课程讲义"}, i, 0))
		}},
		// Export without a visible label at the user's request (CN-EXP-06).
		{name: "cn-exp-ok", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "image", cnCaption("image", i+11))
			r.Labels.Explicit = nil
			r.Export = &export{RequestedWithoutLabel: true, UserRequestID: "req-" + hexOf("req:"+r.ID, 10), AgreementVersion: "user-agreement-2025.09", LogRetentionUntil: t.AddDate(0, 7, 0).UTC().Format(time.RFC3339)}
		}},
		{name: "cn-exp-shortlog", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnImage(r, i, "image", cnCaption("image", i+1))
			r.Labels.Explicit = nil
			r.Export = &export{RequestedWithoutLabel: true, UserRequestID: "req-" + hexOf("req:"+r.ID, 10), LogRetentionUntil: t.AddDate(0, 1, 0).UTC().Format(time.RFC3339)}
		}},
		// Upstream moderation said illegal: handled (stopped, removed, reported) or not (CN-ILLEGAL-01).
		{name: "cn-ill-handled", n: 2, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, "（该回答已被内容安全系统拦截，原文不予展示）")
			r.Moderation = &moderation{Verdict: "illegal", ActionsTaken: []string{"stop_generation", "remove", "report", "warn_user"}, ReportTicket: "CAC-" + hexOf("t:"+r.ID, 8)}
		}},
		{name: "cn-ill-unhandled", n: 2, fill: func(i int, t time.Time, r *rec) {
			cnChat(r, i, "（该回答已被内容安全系统标记，原文不予展示）")
			r.Moderation = &moderation{Verdict: "illegal"}
		}},

		// Platform uploads: the three-tier notice of Measures Art. 6.
		{name: "cn-plat-is-ok", n: 10, fill: func(i int, t time.Time, r *rec) {
			m := pick([]string{"image", "video"}, i, 0)
			p := cnUpload(r, i, m)
			f := producedBy(pick(cnProducers, i, 1), "src:"+r.ID)
			cid := contentID(p, r.ID)
			r.DeclaredAI = yes()
			r.Labels = &labels{Implicit: []implicit{carrier(m, f.json(), i)}}
			r.Distribution = &distribution{Notice: "is", PlatformCode: p.code, ContentID: cid, Processed: true,
				OutputLabels: []implicit{carrier(m, propagated(f, p, cid, "").json(), i)}}
		}},
		{name: "cn-plat-is-nonotice", n: 5, fill: func(i int, t time.Time, r *rec) {
			m := pick([]string{"image", "video"}, i, 1)
			cnUpload(r, i, m)
			f := producedBy(pick(cnProducers, i, 2), "src:"+r.ID)
			r.DeclaredAI = no()
			r.Labels = &labels{Implicit: []implicit{carrier(m, f.json(), i)}}
		}},
		{name: "cn-plat-possibly-ok", n: 6, fill: func(i int, t time.Time, r *rec) {
			p := cnUpload(r, i, "image")
			cid := contentID(p, r.ID)
			f := aigcFields{Label: "2", ContentPropagator: p.code, PropagateID: cid}
			r.DeclaredAI = yes()
			r.Distribution = &distribution{Notice: "possibly", PlatformCode: p.code, ContentID: cid, Processed: true,
				OutputLabels: []implicit{carrier("image", f.json(), i)}}
		}},
		{name: "cn-plat-possibly-none", n: 5, fill: func(i int, t time.Time, r *rec) {
			p := cnUpload(r, i, "image")
			r.DeclaredAI = yes()
			r.Distribution = &distribution{Notice: "none", PlatformCode: p.code, ContentID: contentID(p, r.ID)}
		}},
		{name: "cn-plat-suspected-ok", n: 4, fill: func(i int, t time.Time, r *rec) {
			p := cnUpload(r, i, "image")
			cid := contentID(p, r.ID)
			f := aigcFields{Label: "3", ContentPropagator: p.code, PropagateID: cid}
			r.DeclaredAI = no()
			r.Signals = &signals{AIScore: score(0.91 + float64(i)*0.02)}
			r.Distribution = &distribution{Notice: "suspected", PlatformCode: p.code, ContentID: cid, Processed: true,
				OutputLabels: []implicit{carrier("image", f.json(), i)}}
		}},
		{name: "cn-plat-suspected-none", n: 3, fill: func(i int, t time.Time, r *rec) {
			p := cnUpload(r, i, "image")
			r.DeclaredAI = no()
			r.Signals = &signals{AIScore: score(0.88 + float64(i)*0.03)}
			r.Distribution = &distribution{Notice: "none", PlatformCode: p.code, ContentID: contentID(p, r.ID)}
		}},
		// The platform never asked the user (declared_ai absent: CN-PLAT-03).
		{name: "cn-plat-nodecl", n: 5, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, pick([]string{"image", "video", "text"}, i, 0))
			if r.Modality == "text" {
				r.Media = nil
			}
			r.Signals = &signals{AIScore: score(0.04 + float64(i)*0.03)}
		}},
		{name: "cn-plat-human", n: 10, fill: func(i int, t time.Time, r *rec) {
			p := cnUpload(r, i, pick([]string{"image", "video", "image", "text"}, i, 0))
			if r.Modality == "text" {
				r.Media = nil
			}
			r.DeclaredAI = no()
			r.Signals = &signals{AIScore: score(0.02 + float64(i%6)*0.03)}
			r.Distribution = &distribution{Notice: "none", PlatformCode: p.code, ContentID: contentID(p, r.ID)}
		}},
		// Re-uploads of labelled provider images (cn-img-label-ok-001..003) with the label
		// stripped: PDQ within a few bits of the original (CN-TAMPER-01, needs history).
		{name: "cn-plat-stripped", n: 3, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "image")
			r.DeclaredAI = no()
			r.Media.PDQ = flipBits(hexOf("pdq:cn-img-label-ok-00"+string(rune('1'+i)), 64), 3+i)
			r.Text = pick(zhImageCaption, i, 0)
		}},
		// Face swap of a real person without consent on a platform (CN-DS-01).
		{name: "cn-ds-faceswap", n: 3, fill: func(i int, t time.Time, r *rec) {
			p := cnUpload(r, i, "video")
			r.Text = pick([]string{"明星换脸搞笑视频合集", "把我同事的脸换到电影片段里", "换脸版新闻主播播报"}, i, 0)
			r.DeclaredAI = yes()
			r.Signals = &signals{DeepfakeScore: score(0.9 + float64(i)*0.03), FaceSwap: yes(), DepictsRealPerson: yes(), Consent: no(), Realistic: yes()}
			r.Distribution = &distribution{Notice: "possibly", PlatformCode: p.code, ContentID: contentID(p, r.ID)}
		}},

		// No jurisdiction: the default (CN) applies.
		{name: "nojur-img-nolabel", n: 4, cnTime: true, fill: func(i int, t time.Time, r *rec) {
			cnBareImage(r, i, "image", cnCaption("image", i+2))
			r.Jurisdiction = ""
		}},
		{name: "nojur-txt-ok", n: 6, cnTime: true, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Jurisdiction, r.Media, r.DeclaredAI = "", nil, no()
			if i%2 == 1 {
				r.Text = pick(enReview, i, 3)
			}
		}},
		{name: "nojur-txt-gambling", n: 2, cnTime: true, fill: func(i int, t time.Time, r *rec) {
			cnUpload(r, i, "text")
			r.Jurisdiction, r.Media, r.DeclaredAI = "", nil, no()
			r.Text = pick(enGambling, i, 0)
		}},
	}
}
